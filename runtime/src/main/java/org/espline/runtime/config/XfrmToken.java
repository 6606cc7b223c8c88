package org.espline.runtime.config;

/**
 * One shell word of an {@code ip xfrm} file with the position of its first character (1-based).
 * {@code quoted} is true when any part of the word was in quotes; {@code ip} itself cannot see quotes,
 * so keywords match either way, but messages treat quoted words with care (they may be raw keys).
 */
record XfrmToken(String text, int line, int column, boolean quoted) {

    boolean is(String word) {
        return text.equals(word);
    }
}
