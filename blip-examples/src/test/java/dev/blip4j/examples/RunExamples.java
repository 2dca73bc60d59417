package dev.blip4j.examples;

/** Run by {@link ReadmeExamplesTest} in a JVM of its own: each named example's main, in order. */
public final class RunExamples {

    private RunExamples() {}

    public static void main(String[] args) throws Exception {
        for (String name : args) {
            System.out.println("=== " + name);
            Class.forName("dev.blip4j.examples." + name).getMethod("main", String[].class)
                    .invoke(null, (Object) new String[0]);
            System.out.flush();
        }
    }
}
