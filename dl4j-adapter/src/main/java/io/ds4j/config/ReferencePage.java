package io.ds4j.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes the configuration reference page ({@code site/docs/config-reference.md}) from a hand-written template and
 * the reader itself, so that the page cannot drift from the code.
 *
 * <p>The template ({@code site/reference/config-reference.template.md}) is the page's prose with tables of three
 * columns, {@code | key | default | what ds4j does |}, whose cells hold only what the reader cannot know: the default
 * where the reader prints none (e.g. "required") and a note (which class uses the key, why). Each such table becomes
 * a table of four columns whose default, {@code "auto"} column and verdict (used, warning and its text, refused and
 * the reader's message, section) are probed from the reader ({@link KeyVerdict}). Every key the reader accepts gets a
 * row: keys no template table lists are appended under their own heading; a template key the reader does not accept
 * is an error.
 */
public final class ReferencePage {
    /** The header of a template table. */
    static final String TEMPLATE_HEADER = "| key | default | what ds4j does |";
    private static final Pattern ROW = Pattern.compile("^\\|\\s*`([^`]+)`\\s*\\|(.*)\\|(.*)\\|\\s*$");
    private static final String HEADER = "| key | default | \"auto\" | what ds4j does |\n|---|---|---|---|\n";

    private ReferencePage() {
    }

    /**
     * The page for a template.
     *
     * @param template     the template's text
     * @param templateName how errors name the template
     * @return the page's Markdown
     * @throws IllegalArgumentException naming the key when the template lists a key the reader does not accept
     */
    public static String render(String template, String templateName) {
        Set<String> accepted = AcceptedKeys.all();
        Set<String> listed = new TreeSet<>();
        List<String> lines = List.of(template.split("\n", -1));
        // the banner goes under the page's title, which Docusaurus takes from the first heading
        boolean titled = lines.get(0).startsWith("# ");
        StringBuilder page = new StringBuilder(titled ? lines.get(0) + "\n\n" + banner(templateName)
                : banner(templateName));
        for (int i = titled ? 1 : 0; i < lines.size(); i++) {
            if (!lines.get(i).trim().equals(TEMPLATE_HEADER)) {
                page.append(lines.get(i)).append(i + 1 < lines.size() ? "\n" : "");
                continue;
            }
            i++; // the |---| line
            page.append(HEADER);
            while (i + 1 < lines.size() && lines.get(i + 1).startsWith("|")) {
                i++;
                Matcher m = ROW.matcher(lines.get(i));
                if (!m.matches()) {
                    throw new IllegalArgumentException(templateName + ": line " + (i + 1) + " is not a row "
                            + "| `key` | default | note |; write the key in backticks and two more cells");
                }
                String key = m.group(1);
                if (!accepted.contains(key)) {
                    throw new IllegalArgumentException(templateName + ": `" + key + "` is not a key the reader "
                            + "accepts; remove its row (or fix its spelling)");
                }
                if (!listed.add(key)) {
                    throw new IllegalArgumentException(templateName + ": `" + key + "` has two rows; keep one");
                }
                page.append(row(key, accepted, m.group(2).trim(), m.group(3).trim())).append('\n');
            }
        }
        appendUnlisted(page, accepted, listed);
        return page.toString();
    }

    private static String row(String key, Set<String> accepted, String defaultNote, String note) {
        boolean section = accepted.stream().anyMatch(k -> k.startsWith(key + "."));
        return new ReferenceRow(KeyVerdict.of(key), section, defaultNote, note).markdown();
    }

    private static void appendUnlisted(StringBuilder page, Set<String> accepted, Set<String> listed) {
        Map<String, String> rows = new LinkedHashMap<>();
        for (String key : accepted) {
            if (!listed.contains(key)) {
                rows.put(key, row(key, accepted, "", ""));
            }
        }
        if (rows.isEmpty()) {
            return;
        }
        if (page.charAt(page.length() - 1) != '\n') {
            page.append('\n');
        }
        page.append("\n## Keys without a description yet\n\nThe reader accepts these keys, but the template has no "
                + "row for them yet; what ds4j does is still probed from the reader.\n\n").append(HEADER);
        new ArrayList<>(rows.values()).forEach(r -> page.append(r).append('\n'));
    }

    private static String banner(String templateName) {
        String name = templateName.replace('\\', '/');
        int at = name.indexOf("site/");
        return "<!-- Generated from " + (at >= 0 ? name.substring(at) : name) + " and the configuration reader by "
                + "`bin/ds4j reference`; edit the template, not this page, then run that command. -->\n";
    }
}
