package io.ds4j.cli;

import io.ds4j.config.ReferencePage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code ds4j reference}: writes the configuration reference page of the site from its template and the reader
 * ({@link ReferencePage}), or with {@code --check} says whether the committed page is what it would write.
 */
final class ReferenceCommand implements Command {
    static final Path TEMPLATE = Path.of("site", "reference", "config-reference.template.md");
    static final Path PAGE = Path.of("site", "docs", "config-reference.md");

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public String summary() {
        return "write the site's configuration reference page from the reader (one row per DeepSpeed key)";
    }

    @Override
    public String usage() {
        return "usage: ds4j reference [--check] [--template FILE] [--out FILE]\n"
                + "  run from the repository root; defaults: --template " + TEMPLATE + " --out " + PAGE + "\n"
                + "  --check  write nothing; exit 1 when the page differs from what would be written";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        Path template = TEMPLATE;
        Path page = PAGE;
        boolean check = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--check" -> check = true;
                case "--template" -> template = Path.of(value(args, ++i, a));
                case "--out" -> page = Path.of(value(args, ++i, a));
                default -> throw new UsageException("unknown option '" + a + "'");
            }
        }
        if (!Files.isRegularFile(template)) {
            err.println("error: template " + template.toAbsolutePath() + " not found; run from the repository root "
                    + "or give --template FILE");
            return 2;
        }
        try {
            String text = ReferencePage.render(Files.readString(template), template.toString());
            if (check) {
                boolean same = Files.isRegularFile(page) && Files.readString(page).equals(text);
                out.println(page + (same ? " is up to date" : " differs from what the reader generates; run "
                        + "bin/ds4j reference"));
                return same ? 0 : 1;
            }
            Files.writeString(page, text);
            out.println("wrote " + page);
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println("error: " + e);
            return 1;
        }
    }

    private static String value(List<String> args, int i, String option) {
        if (i >= args.size()) {
            throw new UsageException(option + " needs a FILE");
        }
        return args.get(i);
    }
}
