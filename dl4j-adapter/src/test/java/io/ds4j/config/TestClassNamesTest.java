package io.ds4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every test class of every module is one that {@code mvn verify} runs. Surefire (3.x, no {@code <includes>} in
 * the poms) picks up only {@code Test*}, {@code *Test}, {@code *Tests} and {@code *TestCase} classes, so a class with
 * test methods under any other name is silently never run (as {@code ShardLayoutProperties} was). Abstract classes
 * are exempt: they run through their subclasses. Tests left out of {@code verify} on purpose are tagged
 * {@code heavy} (run with {@code -DexcludedTestGroups=}) and keep a runnable name. It lives in this package only
 * because {@link RepoFiles} finds the repository root.
 */
class TestClassNamesTest {
    private static final Pattern TEST_METHOD = Pattern.compile(
            "^\\s*@(Test|ParameterizedTest|RepeatedTest|TestFactory|TestTemplate|Property|Example)\\b",
            Pattern.MULTILINE);
    private static final Pattern ABSTRACT = Pattern.compile("^\\s*(public\\s+)?abstract\\s+class\\s", Pattern.MULTILINE);
    private static final Pattern SUREFIRE_NAME = Pattern.compile("Test\\w*|\\w*(Test|Tests|TestCase)");

    @Test
    void everyClassWithTestMethodsHasANameSurefireRuns() {
        List<Path> sources = testSources();
        assertTrue(sources.size() > 100, "found only " + sources.size() + " test sources under " + RepoFiles.root());
        List<String> skipped = sources.stream().filter(TestClassNamesTest::hasTestMethods)
                .filter(p -> !SUREFIRE_NAME.matcher(className(p)).matches())
                .map(p -> RepoFiles.root().relativize(p).toString()).toList();
        assertEquals(List.of(), skipped, "surefire would never run these test classes; rename each to end in Test "
                + "(or make it abstract and extend it from a *Test class)");
    }

    @Test
    void theCheckRecognisesAPropertyClassWithTheWrongName() {
        assertTrue(TEST_METHOD.matcher("class A {\n    @Property(tries = 5)\n    void p() {}\n}").find());
        assertTrue(!SUREFIRE_NAME.matcher("ShardLayoutProperties").matches());
        assertTrue(SUREFIRE_NAME.matcher("ShardLayoutPropertiesTest").matches());
        assertTrue(SUREFIRE_NAME.matcher("TestClassNames").matches());
    }

    private static boolean hasTestMethods(Path p) {
        try {
            String s = Files.readString(p);
            return TEST_METHOD.matcher(s).find() && !ABSTRACT.matcher(s).find();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String className(Path p) {
        String f = p.getFileName().toString();
        return f.substring(0, f.length() - ".java".length());
    }

    private static List<Path> testSources() {
        try (Stream<Path> s = Files.walk(RepoFiles.root())) {
            return s.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> p.toString().contains("/src/test/java/")).sorted().toList();
        } catch (IOException e) {
            return fail("cannot walk " + RepoFiles.root() + ": " + e);
        }
    }
}
