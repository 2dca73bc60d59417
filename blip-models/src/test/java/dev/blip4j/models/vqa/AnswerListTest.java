package dev.blip4j.models.vqa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.testing.Golden;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Answer list files (JSON array, one answer per line) and a list the size of the paper's (3,128
 * answers), tokenised once and ranked with k = 128.
 */
class AnswerListTest {

    static BlipModel model;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        model = BlipModel.load(VqaGoldenTest.G.hf());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        return file;
    }

    private Path write(String name, String text) throws IOException {
        return write(name, text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void jsonArrayFileGivesTheSameListAsTheStrings() throws IOException {
        List<String> golden = VqaGoldenTest.answerList();
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < golden.size(); i++) {
            json.append(i > 0 ? ", " : "").append('"').append(golden.get(i)).append('"');
        }
        AnswerList list = AnswerList.load(write("answer_list.json", json.append("]").toString()), model);
        assertEquals(golden, list.answers());
        VqaGoldenTest.G.assertIds("answer_input_ids", list.encoding().flatIds());
    }

    @Test
    void jsonKeepsTheEmptyAnswer() throws IOException {
        AnswerList list = AnswerList.load(write("a.json", "[\"\", \"yes\"]"), model);
        assertEquals(List.of("", "yes"), list.answers());
        assertArrayEquals(new long[] {302, 3, 0}, list.encoding().ids()[0], "[DEC] [SEP], padded");
    }

    @Test
    void textFileHasOneAnswerPerLineStrippedWithBlankLinesSkipped() throws IOException {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        byte[] text = "one\r\n  white cat \n\n   \r\nyes\n".getBytes(StandardCharsets.UTF_8);
        byte[] bytes = Arrays.copyOf(bom, bom.length + text.length);
        System.arraycopy(text, 0, bytes, bom.length, text.length);
        AnswerList list = AnswerList.load(write("answers.txt", bytes), model);
        assertEquals(List.of("one", "white cat", "yes"), list.answers());
        assertArrayEquals(new long[][] {{302, 107, 3, 0}, {302, 214, 124, 3}, {302, 104, 3, 0}}, list.encoding().ids());
        assertArrayEquals(new long[][] {{1, 1, 1, 0}, {1, 1, 1, 1}, {1, 1, 1, 0}}, list.encoding().attentionMask());
    }

    @Test
    void textFileErrorsNameLineNumbers() throws IOException {
        Path file = write("dup.txt", "yes\n\nno\nyes\n");
        InputException e = assertThrows(InputException.class, () -> AnswerList.load(file, model));
        assertTrue(e.getMessage().contains("line 1 and " + file + ": line 4"), e.getMessage());
        Path blank = write("blank.txt", "\n  \n\r\n");
        e = assertThrows(InputException.class, () -> AnswerList.load(blank, model));
        assertTrue(e.getMessage().contains("answer list is empty"), e.getMessage());
        Path tooLong = write("long.txt", "no\n" + "cat ".repeat(70) + "\n");
        e = assertThrows(InputException.class, () -> AnswerList.load(tooLong, model));
        assertTrue(e.getMessage().contains("line 2, the answer \"cat cat"), e.getMessage());
    }

    @Test
    void badFilesAreRefusedByName() throws IOException {
        assertRefused(write("x.json", "{\"answers\": []}"), "expected a JSON array");
        assertRefused(write("y.json", "[\"yes\", 3]"), "entry 1 is 3, not a string");
        assertRefused(write("z.json", "[\"yes\", null]"), "entry 1 is null");
        assertRefused(write("w.json", "[\"yes\", "), "not valid JSON");
        assertRefused(write("e.json", "[]"), "answer list is empty");
        assertRefused(write("d.json", "[\"no\", \"no\"]"), "entry 0 and");
        assertRefused(write("latin1.txt", new byte[] {'c', 'a', 'f', (byte) 0xE9}), "not UTF-8");
        assertRefused(dir.resolve("missing.txt"), "cannot read the answer list");
    }

    private void assertRefused(Path file, String message) {
        InputException e = assertThrows(InputException.class, () -> AnswerList.load(file, model));
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    /** 3,128 distinct answers of one or two words of the golden vocabulary. */
    static List<String> paperSizedList() throws IOException {
        List<String> words = Files.readAllLines(Golden.root().resolve("tokenizer/vocab.txt")).stream()
                .filter(w -> w.matches("[a-z]{2,}")).toList();
        List<String> answers = new ArrayList<>(words);
        for (int i = 0; answers.size() < 3128; i++) {
            answers.add(words.get(i % words.size()) + " " + words.get((i / words.size() + 1 + i) % words.size()));
        }
        return answers;
    }

    @Test
    void paperSizedListIsTokenisedOnceAndRankedWithK128() throws IOException {
        List<String> entries = paperSizedList();
        long t0 = System.nanoTime();
        AnswerList list = AnswerList.of(entries, model);
        long t1 = System.nanoTime();
        VisualQuestionAnswerer vqa = new VisualQuestionAnswerer(model);
        RgbImage image = model.readImage(Golden.image(1));
        List<String> questions = VqaGoldenTest.questions();
        List<AnswerRanking> rankings = vqa.rank(image, questions, list);
        long t2 = System.nanoTime();
        System.out.printf("3,128 answers: tokenised in %.0f ms, 3 questions ranked (k=128) in %.0f ms%n",
                (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        assertEquals(3128, list.size());
        for (AnswerRanking r : rankings) {
            assertEquals(128, r.k());
            float[] first = r.firstTokenProbabilities();
            assertEquals(3128, first.length);
            // Stage 1: the 128 most probable first tokens, ties in list order.
            int[] expected = IntStream.range(0, first.length).boxed()
                    .sorted(Comparator.comparingDouble((Integer i) -> -first[i]).thenComparingInt(i -> i))
                    .limit(128).mapToInt(Integer::intValue).toArray();
            assertArrayEquals(expected, r.candidates());
            // Entries that start with the same token share its probability.
            for (int a = 0; a < list.size(); a++) {
                assertEquals(first[list.firstToken(a) == list.firstToken(0) ? 0 : a], first[a]);
            }
            // Stage 2 does not depend on the rest of the list: the candidates alone, all scored,
            // give the same scores (the big list's padding is cut).
            List<String> chosen = Arrays.stream(r.candidates()).mapToObj(list::answer).toList();
            AnswerRanking alone = new VisualQuestionAnswerer(model, VqaOptions.defaults().withCandidates(128))
                    .rank(image, r.question(), AnswerList.of(chosen, model));
            float[] scores = r.scores();
            float[] aloneScores = alone.scores();
            int[] aloneCandidates = alone.candidates();
            for (int c = 0; c < 128; c++) {
                int at = aloneCandidates[c];
                assertEquals(scores[at], aloneScores[c], 1e-5f, "candidate " + chosen.get(at));
            }
            assertEquals(r.best().answer(), alone.best().answer());
            double total = Arrays.stream(r.probabilities()).sum();
            assertEquals(1.0, total, 1e-9);
        }
    }
}
