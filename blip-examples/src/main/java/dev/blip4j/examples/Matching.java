package dev.blip4j.examples;

// tag::matching[]
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.features.FeatureExtractor;
import dev.blip4j.models.features.ImageFeatures;
import dev.blip4j.models.matching.ImageTextMatcher;
import dev.blip4j.models.matching.Match;
import dev.blip4j.models.matching.MatchMatrix;
import dev.blip4j.models.retrieval.EvaluationScores;
import dev.blip4j.models.retrieval.GalleryIndex;
import dev.blip4j.models.retrieval.GalleryIndexer;
import dev.blip4j.models.retrieval.ImageRetriever;
import dev.blip4j.models.retrieval.IndexListener;
import dev.blip4j.models.retrieval.RecallAtK;
import dev.blip4j.models.retrieval.RetrievalEvaluator;
import dev.blip4j.models.retrieval.SearchHit;
import dev.blip4j.models.retrieval.SearchOptions;
import java.nio.file.Path;
import java.util.List;
// end::matching[]

/** The README's matching, features, search and evaluation snippet. */
public final class Matching {

    private Matching() {}

    public static void main(String[] args) {
        // tag::matching[]
        try (BlipModel model = BlipModel.load(Path.of("blip-itm-base-coco"))) {
            ImageTextMatcher matcher = new ImageTextMatcher(model);      // [CLS] first, as BLIP_ITM
            Match m = matcher.match(Path.of("photo.jpg"), "a dog on a beach"); // m.itm() probability, m.itc() cosine
            List<Path> images = List.of(Path.of("photos/dog.jpg"), Path.of("photos/cat.jpg"));
            List<String> texts = List.of("a dog on a beach", "a cat on a sofa");
            MatchMatrix all = matcher.match(images, texts);              // every image x every text, batched
            ImageFeatures f = new FeatureExtractor(model).image(Path.of("photo.jpg")); // states, embedding (ITC)

            new GalleryIndexer(model).build(Path.of("index"), Path.of("photos"), IndexListener.NONE); // resumable
            ImageRetriever search = new ImageRetriever(model, GalleryIndex.open(Path.of("index")));
            List<SearchHit> hits = search.search("a dog", SearchOptions.defaults().withK(10).withRerank(128)).hits();

            EvaluationScores s = new RetrievalEvaluator(model).evaluate(images, texts, 256); // official evaluation()
            int[] txt2img = {0, 1};                                      // text t describes image txt2img[t]
            List<int[]> img2txt = List.of(new int[] {0}, new int[] {1}); // the texts of each image
            RecallAtK r = RecallAtK.compute(s.i2t(), s.t2i(), txt2img, img2txt); // official itm_eval
            System.out.println(m + "\n" + all.matches(0) + "\n" + f + "\n" + hits.get(0) + "\n" + r);
        }
        // end::matching[]
    }
}
