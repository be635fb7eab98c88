import com.imsweb.x12.Element;
import com.imsweb.x12.Loop;
import com.imsweb.x12.Segment;
import com.imsweb.x12.reader.X12Reader;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Reads 837P files (005010X222A1) with the imsweb X12 parser and prints, for each file in
 * order, one line of JSON: its errors, its fatal errors, and the loop tree it built (loop
 * ids with their segments' element values), so a test can compare it with claimflow's own
 * reading. Several files per run, because the JVM and the 837P map take seconds to load.
 * Exit 0 whenever every file could be read; 2 when the reader itself failed.
 */
public final class ReadX12 {
    private ReadX12() {
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: ReadX12 FILE.837...");
            System.exit(2);
        }
        for (String arg : args) {
            read(arg);
        }
    }

    private static void read(String path) {
        try {
            X12Reader reader = new X12Reader(
                X12Reader.FileType.ANSI837_5010_X222, new File(path), StandardCharsets.UTF_8);
            StringBuilder out = new StringBuilder();
            out.append("{\"errors\":");
            strings(out, reader.getErrors());
            out.append(",\"fatal\":");
            strings(out, reader.getFatalErrors());
            out.append(",\"loops\":[");
            List<Loop> loops = reader.getLoops();
            for (int i = 0; i < loops.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                loop(out, loops.get(i));
            }
            out.append("]}");
            System.out.println(out);
        } catch (Exception e) {
            System.err.println("imsweb x12-parser failed on " + path + ": " + e);
            System.exit(2);
        }
    }

    private static void loop(StringBuilder out, Loop loop) {
        out.append("{\"id\":");
        string(out, loop.getId());
        out.append(",\"segments\":[");
        List<Segment> segments = loop.getSegments();
        for (int i = 0; i < segments.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            Segment segment = segments.get(i);
            out.append('[');
            string(out, segment.getId());
            for (Element element : segment.getElements()) {
                out.append(',');
                string(out, element.getValue());
            }
            out.append(']');
        }
        out.append("],\"loops\":[");
        List<Loop> children = loop.getLoops();
        for (int i = 0; i < children.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            loop(out, children.get(i));
        }
        out.append("]}");
    }

    private static void strings(StringBuilder out, List<String> values) {
        out.append('[');
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            string(out, values.get(i));
        }
        out.append(']');
    }

    private static void string(StringBuilder out, String value) {
        if (value == null) {
            out.append("null");
            return;
        }
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        out.append('"');
    }
}
