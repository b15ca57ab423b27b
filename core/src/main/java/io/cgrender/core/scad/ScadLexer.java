package io.cgrender.core.scad;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the file references in one OpenSCAD source file by lexing it the way OpenSCAD 2021.01's flex lexer
 * ({@code src/lexer.l}) does, without building an AST.
 * <p>
 * Rules reproduced from the lexer:
 * <ul>
 *   <li>{@code include[ \t\r\n]*<} and {@code use[ \t\r\n]*<} are lexer rules, so they are recognised anywhere a
 *       token may start (also inside a module body or an argument list), with any spaces, tabs or newlines before
 *       the {@code <}, but never inside a comment or a string, and never as the tail of a longer identifier
 *       ({@code myinclude <x>}): flex takes the longest match, and an identifier or number that goes on is longer.
 *       </li>
 *   <li>Inside {@code <…>} a tab, CR or newline is skipped (flex's default rule echoes it), and for {@code include}
 *       the name is the last directory part ending in {@code /} seen plus the last file part seen; a comment marker
 *       there is part of the name. There are no escapes; the name ends at the first {@code >}.</li>
 *   <li>Strings: {@code \"} and {@code \\} do not end a string; {@code \n \t \r \\ \" \xHH}, backslash-u with
 *       4 hex digits and {@code \UHHHHHH}
 *       are decoded; a backslash before anything else is dropped; a raw CR or LF inside a string is dropped.</li>
 *   <li>Comments: {@code //} up to the next LF; {@code /*} up to the next {@code *}{@code /}, not nested.</li>
 * </ul>
 * {@code import(…)} and {@code surface(…)} are found on the token stream: an identifier {@code import} or
 * {@code surface} (not right after {@code module} or {@code function}) followed by {@code (}. The file argument is
 * the named argument {@code file}, else the first positional argument, else (import only) the deprecated
 * {@code filename}: the order OpenSCAD 2021.01 uses. It is a literal only when it is a single string token.
 * <p>
 * Each file is lexed on its own; OpenSCAD lexes an included file inside the includer's token stream, which only
 * differs for files that end inside an unterminated comment or string.
 */
final class ScadLexer {

    private static final int EOF = 0;
    private static final int ID = 1;
    private static final int NUMBER = 2;
    private static final int STRING = 3;
    private static final int PUNCT = 4;
    /** Two-character operators, reported as one PUNCT token so that {@code ==} is never taken for {@code =}. */
    private static final int OPERATOR = 5;

    private static final byte[] INCLUDE = ascii("include");
    private static final byte[] USE = ascii("use");
    private static final byte[] IMPORT = ascii("import");
    private static final byte[] SURFACE = ascii("surface");
    private static final byte[] MODULE = ascii("module");
    private static final byte[] FUNCTION = ascii("function");
    private static final byte[] FILE = ascii("file");
    private static final byte[] FILENAME = ascii("filename");
    private static final int MAX_STATEMENT = 80;

    private final byte[] src;
    private final int length;
    private final List<ScadReference> references = new ArrayList<>();
    private int pos;
    private int line = 1;

    // The current token: set by next().
    private int type;
    private int start;
    private int end;
    private int tokenLine;

    private ScadLexer(byte[] src) {
        this.src = src;
        this.length = src.length;
    }

    /** The references in {@code src} (the bytes of one file) in source order. */
    static List<ScadReference> references(byte[] src) {
        ScadLexer lexer = new ScadLexer(src);
        lexer.run();
        return lexer.references;
    }

    /**
     * The names assigned at the top level of {@code src} ({@code name = …;} outside any block, call or list), in
     * source order: the variables {@code openscad -D} can override.
     */
    static List<String> topLevelAssignments(byte[] src) {
        ScadLexer lexer = new ScadLexer(src);
        List<String> names = new ArrayList<>();
        int depth = 0;
        lexer.next();
        while (lexer.type != EOF) {
            if (lexer.type == ID && depth == 0) {
                String name = lexer.utf8(lexer.start, lexer.end);
                lexer.next();
                if (lexer.type == PUNCT && lexer.src[lexer.start] == '=' && !names.contains(name)) {
                    names.add(name);
                }
                continue;
            }
            depth = Math.max(0, depth + lexer.nesting());
            lexer.next();
        }
        return names;
    }

    /**
     * Why {@code src} cannot be one OpenSCAD expression, as {@code -D name=value} needs its value to be, if it cannot:
     * a string without its closing quote, brackets that do not pair up, or a {@code ;} ending it early.
     */
    static java.util.Optional<String> expressionProblem(byte[] src) {
        ScadLexer lexer = new ScadLexer(src);
        StringBuilder open = new StringBuilder();
        lexer.next();
        while (lexer.type != EOF) {
            if (lexer.type == STRING && (lexer.end >= lexer.length || lexer.src[lexer.end] != '"')) {
                return java.util.Optional.of("a string has no closing quote");
            }
            if (lexer.type == PUNCT) {
                char c = (char) lexer.src[lexer.start];
                if (c == ';') {
                    return java.util.Optional.of("';' ends it early");
                }
                if ("([{".indexOf(c) >= 0) {
                    open.append(c);
                } else if (")]}".indexOf(c) >= 0) {
                    char expected = open.length() == 0 ? 0
                            : ")]}".charAt("([{".indexOf(open.charAt(open.length() - 1)));
                    if (c != expected) {
                        return java.util.Optional.of("'" + c + "' closes nothing that is open");
                    }
                    open.setLength(open.length() - 1);
                }
            }
            lexer.next();
        }
        return open.length() == 0 ? java.util.Optional.empty()
                : java.util.Optional.of("'" + open.charAt(open.length() - 1) + "' is never closed");
    }

    /** +1 for the current token opening a block, call or list, -1 for closing one, else 0. */
    private int nesting() {
        if (type != PUNCT) {
            return 0;
        }
        byte c = src[start];
        return c == '{' || c == '(' || c == '[' ? 1 : c == '}' || c == ')' || c == ']' ? -1 : 0;
    }

    private void run() {
        boolean afterDefinitionKeyword = false;
        next();
        while (type != EOF) {
            if (type == ID && !afterDefinitionKeyword && (is(IMPORT) || is(SURFACE))) {
                ScadFile.Kind kind = is(IMPORT) ? ScadFile.Kind.IMPORT : ScadFile.Kind.SURFACE;
                int callLine = tokenLine;
                int callStart = start;
                next();
                if (type == PUNCT && src[start] == '(') {
                    call(kind, callLine, callStart);
                    afterDefinitionKeyword = false;
                    next();
                }
                continue; // the token after the name is looked at afresh (it may itself be "import")
            }
            afterDefinitionKeyword = type == ID && (is(MODULE) || is(FUNCTION));
            next();
        }
    }

    /**
     * Reads the argument list of an {@code import(}/{@code surface(} call up to its closing parenthesis and records
     * the reference. On return the current token is the closing parenthesis (or EOF).
     */
    private void call(ScadFile.Kind kind, int callLine, int callStart) {
        String file = null;
        String filename = null;
        String positional = null;
        boolean fileSeen = false;
        boolean filenameSeen = false;
        boolean positionalSeen = false;
        int depth = 0;
        // The argument being read: its token count, its first three tokens' kinds, the string among them.
        int count = 0;
        int firstType = EOF;
        int firstStart = 0;
        int firstEnd = 0;
        boolean secondIsAssign = false;
        int thirdType = EOF;
        String firstString = null;
        String thirdString = null;
        while (true) {
            next();
            if (type == EOF) {
                return; // unterminated call: OpenSCAD fails to parse it, nothing to report
            }
            boolean endOfArgument = depth == 0 && type == PUNCT && (src[start] == ',' || src[start] == ')');
            if (endOfArgument) {
                if (count > 0) {
                    boolean named = count >= 2 && firstType == ID && secondIsAssign;
                    if (named) {
                        String value = count == 3 && thirdType == STRING ? thirdString : null;
                        if (equals(firstStart, firstEnd, FILE)) {
                            file = value;
                            fileSeen = true;
                        } else if (kind == ScadFile.Kind.IMPORT && equals(firstStart, firstEnd, FILENAME)) {
                            filename = value;
                            filenameSeen = true;
                        }
                    } else if (!positionalSeen) {
                        positional = count == 1 && firstType == STRING ? firstString : null;
                        positionalSeen = true;
                    }
                }
                if (src[start] == ')') {
                    break;
                }
                count = 0;
                firstType = EOF;
                secondIsAssign = false;
                thirdType = EOF;
                firstString = null;
                thirdString = null;
                continue;
            }
            if (type == PUNCT) {
                byte c = src[start];
                if (c == '(' || c == '[' || c == '{') {
                    depth++;
                } else if (c == ')' || c == ']' || c == '}') {
                    depth--;
                }
            }
            count++;
            if (count == 1) {
                firstType = type;
                firstStart = start;
                firstEnd = end;
                if (type == STRING) {
                    firstString = decodeString(start, end);
                }
            } else if (count == 2) {
                secondIsAssign = type == PUNCT && src[start] == '=';
            } else if (count == 3) {
                thirdType = type;
                if (type == STRING) {
                    thirdString = decodeString(start, end);
                }
            }
        }
        String statement = statement(callStart, Math.min(end, length));
        if (fileSeen) {
            references.add(new ScadReference(kind, file, callLine, statement));
        } else if (positionalSeen) {
            references.add(new ScadReference(kind, positional, callLine, statement));
        } else if (filenameSeen) {
            references.add(new ScadReference(kind, filename, callLine, statement));
        }
        // import() without a file argument names no file; OpenSCAD warns at render time.
    }

    /** Advances to the next token, recording include/use statements on the way. */
    private void next() {
        while (pos < length) {
            byte c = src[pos];
            switch (c) {
                case ' ', '\t', '\r' -> pos++;
                case '\n' -> {
                    line++;
                    pos++;
                }
                case '/' -> {
                    if (pos + 1 < length && src[pos + 1] == '/') {
                        pos += 2;
                        while (pos < length && src[pos] != '\n') {
                            pos++;
                        }
                    } else if (pos + 1 < length && src[pos + 1] == '*') {
                        pos += 2;
                        while (pos < length && !(src[pos] == '*' && pos + 1 < length && src[pos + 1] == '/')) {
                            if (src[pos] == '\n') {
                                line++;
                            }
                            pos++;
                        }
                        pos = Math.min(pos + 2, length);
                    } else {
                        punct(1);
                        return;
                    }
                }
                case '"' -> {
                    string();
                    return;
                }
                default -> {
                    if ((c & 0x80) != 0) {
                        pos++; // non-ASCII outside strings: OpenSCAD's UNICODE/no-break-space rules, never a name
                    } else if (word()) {
                        return;
                    }
                }
            }
        }
        type = EOF;
        start = end = length;
        tokenLine = line;
    }

    /**
     * Lexes a number, identifier, include/use statement or single punctuation character at {@code pos}. Returns
     * false when an include/use statement was consumed (no token produced).
     */
    private boolean word() {
        int idLen = identifierLength(pos);
        int numLen = numberLength(pos);
        if (idLen == 0 && numLen == 0) {
            int op = operatorLength();
            punct(op);
            return true;
        }
        tokenLine = line;
        start = pos;
        if (numLen >= idLen) { // on a tie flex picks the rule listed first: the number rules
            type = NUMBER;
            end = pos += numLen;
            return true;
        }
        end = pos + idLen;
        boolean include = equals(start, end, INCLUDE);
        if (include || equals(start, end, USE)) {
            int q = end;
            int newlines = 0;
            while (q < length && (src[q] == ' ' || src[q] == '\t' || src[q] == '\r' || src[q] == '\n')) {
                if (src[q] == '\n') {
                    newlines++;
                }
                q++;
            }
            if (q < length && src[q] == '<') {
                int keywordLine = line;
                line += newlines;
                pos = q + 1;
                bracketed(include ? ScadFile.Kind.INCLUDE : ScadFile.Kind.USE, keywordLine, start);
                return false;
            }
        }
        type = ID;
        pos = end;
        return true;
    }

    /** The {@code <…>} part of include/use, with {@code pos} just after {@code <}. */
    private void bracketed(ScadFile.Kind kind, int keywordLine, int statementStart) {
        int pathStart = -1;
        int pathEnd = -1;
        int nameStart = -1;
        int nameEnd = -1;
        while (true) {
            if (pos >= length) {
                references.add(new ScadReference(kind, null, keywordLine, statement(statementStart, length)));
                return;
            }
            byte c = src[pos];
            if (c == '>') {
                pos++;
                break;
            }
            if (c == '\t' || c == '\r' || c == '\n') {
                if (c == '\n') {
                    line++;
                }
                pos++;
                continue;
            }
            int runEnd = pos;
            int lastSlash = -1;
            while (runEnd < length && !isBracketStop(src[runEnd])) {
                if (src[runEnd] == '/') {
                    lastSlash = runEnd;
                }
                runEnd++;
            }
            if (kind == ScadFile.Kind.INCLUDE && lastSlash >= 0) {
                pathStart = pos;
                pathEnd = lastSlash + 1;
                pos = pathEnd;
            } else {
                nameStart = pos;
                nameEnd = runEnd;
                pos = runEnd;
            }
        }
        String target = utf8(pathStart, pathEnd) + utf8(nameStart, nameEnd);
        String statement = (kind == ScadFile.Kind.INCLUDE ? "include <" : "use <") + target + ">";
        references.add(new ScadReference(kind, target, keywordLine, statement));
    }

    private static boolean isBracketStop(byte c) {
        return c == '>' || c == '\t' || c == '\r' || c == '\n';
    }

    private void string() {
        tokenLine = line;
        start = ++pos;
        while (pos < length) {
            byte c = src[pos];
            if (c == '\\' && pos + 1 < length && (src[pos + 1] == '"' || src[pos + 1] == '\\')) {
                pos += 2;
            } else if (c == '"') {
                end = pos++;
                type = STRING;
                return;
            } else {
                if (c == '\n') {
                    line++;
                }
                pos++;
            }
        }
        end = length; // unterminated: the rest of the file
        type = STRING;
    }

    private void punct(int len) {
        type = len == 2 ? OPERATOR : PUNCT;
        tokenLine = line;
        start = pos;
        end = pos += len;
    }

    private int operatorLength() {
        if (pos + 1 >= length) {
            return 1;
        }
        byte a = src[pos];
        byte b = src[pos + 1];
        boolean two = (b == '=' && (a == '<' || a == '>' || a == '=' || a == '!'))
                || (a == '&' && b == '&') || (a == '|' && b == '|');
        return two ? 2 : 1;
    }

    /** Length of {@code "$"?[a-zA-Z0-9_]+} at {@code p}, 0 if none. */
    private int identifierLength(int p) {
        int q = p;
        if (q < length && src[q] == '$') {
            q++;
        }
        int body = q;
        while (q < length && isWordChar(src[q])) {
            q++;
        }
        return q == body ? 0 : q - p;
    }

    /** Length of the longest of {@code D+E?}, {@code D*\.D+E?}, {@code D+\.D*E?} at {@code p}, 0 if none. */
    private int numberLength(int p) {
        int intDigits = digits(p);
        int best = intDigits == 0 ? 0 : intDigits + exponentLength(p + intDigits);
        int dot = p + intDigits;
        if (dot < length && src[dot] == '.') {
            int fraction = digits(dot + 1);
            if (intDigits > 0 || fraction > 0) {
                int afterFraction = dot + 1 + fraction;
                best = Math.max(best, afterFraction + exponentLength(afterFraction) - p);
            }
        }
        return best;
    }

    private int exponentLength(int p) {
        if (p >= length || (src[p] != 'e' && src[p] != 'E')) {
            return 0;
        }
        int q = p + 1;
        if (q < length && (src[q] == '+' || src[q] == '-')) {
            q++;
        }
        int d = digits(q);
        return d == 0 ? 0 : q + d - p;
    }

    private int digits(int p) {
        int q = p;
        while (q < length && src[q] >= '0' && src[q] <= '9') {
            q++;
        }
        return q - p;
    }

    private static boolean isWordChar(byte c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }

    private boolean is(byte[] word) {
        return equals(start, end, word);
    }

    private boolean equals(int from, int to, byte[] word) {
        if (to - from != word.length) {
            return false;
        }
        for (int i = 0; i < word.length; i++) {
            if (src[from + i] != word[i]) {
                return false;
            }
        }
        return true;
    }

    /** The value of the string literal whose contents (without quotes) are {@code src[from, to)}. */
    private String decodeString(int from, int to) {
        byte[] out = new byte[to - from]; // decoding never makes a string longer
        int n = 0;
        int i = from;
        while (i < to) {
            byte c = src[i];
            if (c == '\n' || c == '\r') {
                i++; // OpenSCAD drops raw line breaks inside strings
                continue;
            }
            if (c != '\\' || i + 1 >= to) {
                out[n++] = c;
                i++;
                continue;
            }
            byte e = src[i + 1];
            switch (e) {
                case 'n' -> { out[n++] = '\n'; i += 2; }
                case 't' -> { out[n++] = '\t'; i += 2; }
                case 'r' -> { out[n++] = '\r'; i += 2; }
                case '\\' -> { out[n++] = '\\'; i += 2; }
                case '"' -> { out[n++] = '"'; i += 2; }
                case 'x' -> {
                    if (i + 3 < to && src[i + 2] >= '0' && src[i + 2] <= '7' && isHex(i + 3)) {
                        int v = hex(src[i + 2]) * 16 + hex(src[i + 3]);
                        out[n++] = (byte) (v == 0 ? ' ' : v);
                        i += 4;
                    } else {
                        i++; // a lone backslash is dropped
                    }
                }
                case 'u', 'U' -> {
                    int digits = e == 'u' ? 4 : 6;
                    if (i + 2 + digits <= to && allHex(i + 2, digits)) {
                        int cp = 0;
                        for (int k = 0; k < digits; k++) {
                            cp = cp * 16 + hex(src[i + 2 + k]);
                        }
                        byte[] utf8 = codePointUtf8(cp); // never longer than the escape it replaces
                        System.arraycopy(utf8, 0, out, n, utf8.length);
                        n += utf8.length;
                        i += 2 + digits;
                    } else {
                        i++;
                    }
                }
                default -> i++; // a backslash before anything else is dropped; the character is kept
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    private boolean isHex(int i) {
        return i < length && hex(src[i]) >= 0;
    }

    private boolean allHex(int from, int count) {
        for (int k = 0; k < count; k++) {
            if (!isHex(from + k)) {
                return false;
            }
        }
        return true;
    }

    private static int hex(byte c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    /** OpenSCAD writes a space for an invalid or zero code point. */
    private static byte[] codePointUtf8(int cp) {
        boolean valid = cp > 0 && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
        return valid ? new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8) : new byte[] {' '};
    }

    private String utf8(int from, int to) {
        return from < 0 ? "" : new String(src, from, to - from, StandardCharsets.UTF_8);
    }

    /** {@code src[from, to)} on one line, shortened, for messages. */
    private String statement(int from, int to) {
        int limit = Math.min(to, from + MAX_STATEMENT);
        StringBuilder text = new StringBuilder(limit - from);
        String raw = new String(src, from, limit - from, StandardCharsets.UTF_8);
        boolean space = false;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (Character.isWhitespace(c)) {
                space = true;
                continue;
            }
            if (space && text.length() > 0) {
                text.append(' ');
            }
            space = false;
            text.append(c);
        }
        return limit < to ? text + "…" : text.toString();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
