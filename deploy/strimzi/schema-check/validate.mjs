// Validates Strimzi resources (a JSON array on stdin, converted from the YAML by make
// deploy-check) against Strimzi's CRD schemas, as compiled into @kubernetes-models. Prints
// one line per resource; exits 1 if any is invalid or of a kind it does not know.
import * as strimzi from "@kubernetes-models/strimzi-kafka-operator";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const docs = JSON.parse(Buffer.concat(chunks).toString("utf8"));

let failed = 0;
for (const doc of docs) {
  const [group, version] = doc.apiVersion.split("/");
  const name = `${doc.kind}/${doc.metadata?.name}`;
  // kafka.strimzi.io -> kafkaStrimziIo, the package's name for the API group
  const key = group.replace(/\.(.)/g, (_, c) => c.toUpperCase());
  const Model = strimzi[key]?.[version]?.[doc.kind];
  if (!Model) {
    console.error(`strimzi-check: ${name}: no schema for ${doc.apiVersion} ${doc.kind}`);
    failed++;
    continue;
  }
  try {
    new Model(doc).validate();
    console.log(`strimzi-check: ${name} valid (${doc.apiVersion})`);
  } catch (error) {
    console.error(`strimzi-check: ${name}: ${error.message}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
