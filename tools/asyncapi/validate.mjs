// Parse an AsyncAPI document with @asyncapi/parser and print its diagnostics as JSON.
// Exit 0 when the document parses with no error or warning, 1 otherwise, 2 on bad usage.
import { readFileSync } from 'node:fs';
import { Parser } from '@asyncapi/parser';

const path = process.argv[2];
if (!path) {
  console.error('usage: node validate.mjs DOCUMENT');
  process.exit(2);
}
const parser = new Parser();
const { document, diagnostics } = await parser.parse(readFileSync(path, 'utf8'), { source: path });
const severities = ['error', 'warning', 'information', 'hint'];
const findings = diagnostics.map((d) => ({
  severity: severities[d.severity] ?? String(d.severity),
  code: d.code,
  message: d.message,
  path: (d.path || []).join('/'),
}));
console.log(JSON.stringify({ parsed: Boolean(document), version: document?.version(), findings }, null, 2));
const blocking = findings.filter((f) => f.severity === 'error' || f.severity === 'warning');
process.exit(document && blocking.length === 0 ? 0 : 1);
