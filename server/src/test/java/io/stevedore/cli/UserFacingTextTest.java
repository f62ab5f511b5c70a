package io.stevedore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What a newcomer reads speaks of things they have: the examples are the original Stevedore's KCP
 * example and protocol-version example, never "the seed's" (a word from how this project began).
 */
class UserFacingTextTest {

    private static final Pattern SEED = Pattern.compile("(?i)\\bseed");

    @Test
    void theReadmeTheDocsAndTheShippedFilesNeverSpeakOfASeed() throws Exception {
        List<Path> files = new ArrayList<>(List.of(Path.of("README.md")));
        for (String dir : List.of("docs", "etc")) {
            try (Stream<Path> listed = Files.list(Path.of(dir))) {
                listed.filter(Files::isRegularFile).forEach(files::add);
            }
        }
        assertThat(files).hasSizeGreaterThan(5);
        for (Path file : files) {
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i < lines.size(); i++) {
                assertThat(SEED.matcher(lines.get(i)).find()).as("%s:%d: %s", file, i + 1, lines.get(i)).isFalse();
            }
        }
        assertThat(Files.readString(Path.of("README.md")))
                .contains("the KCP example and the protocol-version example");
    }
}
