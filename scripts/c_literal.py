"""scripts/c_literal.py — what the embed_* scripts share: bytes as C string
literals, and writing a generated file in one step."""
import os


def c_string(data: bytes) -> str:
    """One C string literal per source line, so the generated file reads like
    its source. Every byte that could mean something else in C is escaped:
    quotes, backslashes, '?' (trigraphs exist in -std=c17) and anything that
    is not printable ASCII, as three-digit octal so that a following digit
    cannot join the escape."""
    if not data:
        return '\t""'
    parts = []
    for line in data.splitlines(keepends=True):
        out = []
        for b in line:
            ch = chr(b)
            if ch == '"':
                out.append('\\"')
            elif ch == '\\':
                out.append('\\\\')
            elif ch == '?':
                out.append('\\?')
            elif ch == '\n':
                out.append('\\n')
            elif ch == '\t':
                out.append('\\t')
            elif 0x20 <= b < 0x7f:
                out.append(ch)
            else:
                out.append('\\%03o' % b)
        parts.append('\t"' + ''.join(out) + '"')
    return '\n'.join(parts)


def write_file(path: str, lines) -> None:
    """Writes the lines through a temporary file and a rename, so a build
    that stops half-way never leaves a truncated source behind."""
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='ascii') as f:
        f.write('\n'.join(lines) + '\n')
    os.replace(tmp, path)
