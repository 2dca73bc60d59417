/**
 * The README's Java snippets, as programs: each {@code main} holds a snippet between
 * {@code // tag::NAME[]} and {@code // end::NAME[]} markers (its imports too), which the README
 * quotes verbatim. The build compiles them and runs them on the tiny test models
 * ({@code ReadmeExamplesTest}), and checks that the README quotes them as they are
 * ({@code ReadmeSnippetsTest}). They read their files from the working folder, as the README says.
 */
package dev.blip4j.examples;
