package org.espline.ide.eclipse;

import java.util.Set;
import java.util.TreeSet;
import org.eclipse.jface.text.BadLocationException;
import org.eclipse.jface.text.IDocument;
import org.eclipse.jface.text.TextAttribute;
import org.eclipse.jface.text.rules.IToken;
import org.eclipse.jface.text.rules.ITokenScanner;
import org.eclipse.jface.text.rules.Token;
import org.eclipse.swt.SWT;
import org.eclipse.swt.graphics.Color;
import org.eclipse.swt.graphics.RGB;
import org.eclipse.xtext.GrammarUtil;
import org.eclipse.xtext.IGrammarAccess;

/**
 * Splits .espl text into coloured tokens: the grammar's keywords, names, numbers (SPIs, sizes, addresses), strings,
 * comments, and key material dimmed (what follows {@code key}: a hex literal, {@code env:NAME} or {@code file:"…"}), so a
 * shoulder-surfer's eye slides past it. A line-based lexer: the damager repaints whole lines.
 */
final class EsplineTokenScanner implements ITokenScanner {

    static final IToken KEYWORD = token(new RGB(127, 0, 85), SWT.BOLD);
    static final IToken NAME = token(new RGB(0, 0, 160), SWT.NORMAL);
    static final IToken NUMBER = token(new RGB(125, 60, 0), SWT.NORMAL);
    static final IToken STRING = token(new RGB(42, 0, 255), SWT.NORMAL);
    static final IToken COMMENT = token(new RGB(63, 127, 95), SWT.ITALIC);
    static final IToken KEY = token(new RGB(175, 175, 175), SWT.NORMAL);
    static final IToken OTHER = new Token(null);

    private static Set<String> keywords;

    /** Where in a key clause the scanner is: the key value after 'key', possibly as 'env' ':'? NAME or 'file' ':'? STRING. */
    private enum KeyState { NONE, VALUE, REFERENCE }

    private String text;
    private int base;
    private int position;
    private int end;
    private int tokenStart;
    private KeyState keyState = KeyState.NONE;

    private static IToken token(RGB rgb, int style) {
        return new Token(new TextAttribute(new Color(rgb), null, style));
    }

    static synchronized Set<String> keywords() {
        if (keywords == null) {
            IGrammarAccess grammar = EsplineLanguage.get().service(IGrammarAccess.class);
            Set<String> words = new TreeSet<>();
            for (String k : GrammarUtil.getAllKeywords(grammar.getGrammar())) {
                if (!k.isEmpty() && Character.isLetter(k.charAt(0))) {
                    words.add(k);
                }
            }
            keywords = words;
        }
        return keywords;
    }

    @Override
    public void setRange(IDocument document, int offset, int length) {
        try {
            text = document.get(offset, length);
        } catch (BadLocationException e) {
            text = "";
        }
        base = offset;
        position = 0;
        end = text.length();
        keyState = KeyState.NONE;
    }

    @Override
    public IToken nextToken() {
        tokenStart = position;
        if (position >= end) {
            return Token.EOF;
        }
        char c = text.charAt(position);
        if (Character.isWhitespace(c)) {
            while (position < end && Character.isWhitespace(text.charAt(position))) {
                position++;
            }
            return Token.WHITESPACE;
        }
        if (text.startsWith("//", position)) {
            while (position < end && text.charAt(position) != '\n') {
                position++;
            }
            return COMMENT;
        }
        if (text.startsWith("/*", position)) {
            int close = text.indexOf("*/", position + 2);
            position = close < 0 ? end : close + 2;
            return COMMENT;
        }
        if (c == '"') {
            position++;
            while (position < end && text.charAt(position) != '"' && text.charAt(position) != '\n') {
                position += text.charAt(position) == '\\' ? 2 : 1;
            }
            position = Math.min(end, position + 1);
            return keyValue(STRING);
        }
        if (Character.isDigit(c)) {
            while (position < end && isNumberPart(text.charAt(position))) {
                position++;
            }
            return keyValue(NUMBER);
        }
        if (Character.isLetter(c) || c == '_' || c == '^') {
            position++;
            while (position < end && isWordPart(text.charAt(position))) {
                position++;
            }
            String word = text.substring(tokenStart, position);
            if (keyState == KeyState.VALUE && (word.equals("env") || word.equals("file"))) {
                keyState = KeyState.REFERENCE;
                return KEY;
            }
            if (keyState != KeyState.NONE) {
                keyState = KeyState.NONE;
                return KEY;
            }
            if (keywords().contains(word)) {
                keyState = word.equals("key") ? KeyState.VALUE : KeyState.NONE;
                return KEYWORD;
            }
            return NAME;
        }
        position++;
        if (c == ':' && keyState == KeyState.REFERENCE) {
            return KEY;
        }
        return OTHER;
    }

    private IToken keyValue(IToken plain) {
        if (keyState != KeyState.NONE) {
            keyState = KeyState.NONE;
            return KEY;
        }
        return plain;
    }

    /** Digits, hex, dotted and coloned addresses, prefixes: one number token (0x1001, 192.0.2.1/24, 2001:db8::1). */
    private static boolean isNumberPart(char c) {
        return Character.isLetterOrDigit(c) || c == '.' || c == ':' || c == '/';
    }

    /** Identifiers and hyphenated keywords such as replay-window. */
    private static boolean isWordPart(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '-';
    }

    @Override
    public int getTokenOffset() {
        return base + tokenStart;
    }

    @Override
    public int getTokenLength() {
        return position - tokenStart;
    }
}
