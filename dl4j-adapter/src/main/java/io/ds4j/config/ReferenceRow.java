package io.ds4j.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One table row of the configuration reference: the key, its default, whether it takes {@code "auto"}, and what ds4j
 * does with it. The verdict word (used, warning, refused, section) and everything but the hand-written note come from
 * the reader ({@link KeyVerdict}).
 *
 * @param verdict     what the reader does with the key
 * @param section     true when other accepted keys sit under this one
 * @param defaultNote the template's default text, shown only where the reader prints no default
 * @param note        the template's hand-written note (may be empty)
 */
record ReferenceRow(KeyVerdict verdict, boolean section, String defaultNote, String note) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The Markdown table row. */
    String markdown() {
        return "| `" + verdict.path() + "` | " + defaultCell() + " | " + (verdict.auto() ? "yes" : "no") + " | "
                + cell(doesCell()) + " |";
    }

    private String defaultCell() {
        if (section && verdict.printed().isPresent()) {
            return defaultNote.isEmpty() ? "section" : cell(defaultNote);
        }
        return verdict.printed().map(v -> "`" + json(v) + "`").orElse(defaultNote.isEmpty() ? "—" : cell(defaultNote));
    }

    private String doesCell() {
        List<String> parts = new ArrayList<>();
        if (!verdict.accepted() && !verdict.refusals().isEmpty()) {
            parts.add("**refused** whenever given: " + first(verdict.refusals()));
        } else {
            verdict.warning().ifPresent(w -> parts.add("**warning**: " + w));
            if (!verdict.refusals().isEmpty()) {
                parts.add("**refused** for " + values(verdict.refusals()) + ": " + first(verdict.refusals()));
            }
            if (parts.isEmpty()) {
                parts.add(section ? "**section**" : "**used**");
            }
        }
        String head = String.join("; ", parts);
        if (note.isEmpty()) {
            return head;
        }
        // a note that goes on the verdict's sentence ("by X", "(X)") follows it; another starts a sentence
        boolean continues = note.startsWith("(") || note.matches("^(by|at|with|as|in|on|for) .*");
        return head + (continues ? " " : ". ") + note;
    }

    private static String first(Map<Object, String> refusals) {
        return refusals.values().stream().findFirst().orElse("");
    }

    /** The refused values with the first one's message, e.g. {@code `true`} or {@code `2`, `3`}. */
    private static String values(Map<Object, String> refusals) {
        String msg = first(refusals);
        List<String> same = new ArrayList<>();
        refusals.forEach((v, m) -> {
            if (m.equals(msg) || m.replaceAll("\\d", "").equals(msg.replaceAll("\\d", ""))) {
                same.add("`" + json(v) + "`");
            }
        });
        return String.join(", ", same);
    }

    static String json(Object v) {
        if (v == KeyProbe.NOT_SET) {
            return "null";
        }
        try {
            return JSON.writeValueAsString(v instanceof Map<?, ?> m ? new LinkedHashMap<>(m) : v);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Text made safe for one Markdown table cell. */
    static String cell(String s) {
        return s.replace("\r", "").replace("\n", " ").replace("|", "\\|");
    }
}
