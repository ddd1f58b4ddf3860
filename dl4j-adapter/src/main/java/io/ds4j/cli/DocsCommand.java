package io.ds4j.cli;

import java.io.PrintStream;
import java.util.List;

/**
 * {@code ds4j docs}: listed in {@code ds4j help}, but run by {@code bin/ds4j} itself, which builds the documentation
 * site with node and npm and serves it; the JVM has nothing to do there.
 */
final class DocsCommand implements Command {
    @Override
    public String name() {
        return "docs";
    }

    @Override
    public String summary() {
        return "build the documentation site (site/, Docusaurus) and serve it on 127.0.0.1 (needs node and npm)";
    }

    @Override
    public String usage() {
        return "usage: ds4j docs [--port N] [--no-build]\n"
                + "  builds site/ (npm ci when site/node_modules is missing, then npm run build) and serves the build\n"
                + "  on http://127.0.0.1:PORT/ (default 3000) until interrupted; --no-build serves the last build";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        err.println("error: 'ds4j docs' is run by bin/ds4j, not by the jar (it needs node and npm, not the JVM); "
                + "run bin/ds4j docs from the repository");
        return 2;
    }
}
