/*
 * lex.h — an exact C lexer for .gc sources (the translator's first pass).
 *
 * It knows everything that decides where a token starts and ends in C17:
 * comments, string and character literals with their prefixes and escapes,
 * line splices, preprocessing numbers and directives (a whole logical line
 * starting with `#`).  It does not preprocess.  The one .gc addition at this
 * level is `<-`, always lexed as one token; whether it is a channel
 * operation or C's `<` then unary `-` is the pre-pass's decision.
 */
#ifndef TR_LEX_H
#define TR_LEX_H

#include <stddef.h>

enum tr_tok_kind {
    TK_IDENT,
    TK_NUMBER,
    TK_STRING,
    TK_CHAR,
    TK_PUNCT,
    TK_DIRECTIVE,   /* a whole preprocessor line, splices included */
    TK_EOF,
};

typedef struct tr_token {
    enum tr_tok_kind kind;
    unsigned start, end;    /* byte offsets in the source */
} tr_token;

typedef struct tr_tokens {
    tr_token *v;
    size_t n, cap;
} tr_tokens;

/* Lexes src[0..len) into toks (ending with TK_EOF).  Returns 0, or the byte
 * offset + 1 of an unterminated comment or literal. */
size_t tr_lex(const char *src, size_t len, tr_tokens *toks);
/* Whether c may be part of an identifier (letters, digits, _, $, and the
 * bytes of UTF-8 sequences). */
int tr_is_ident_char(int c);

/* Does token t spell s exactly? */
int tr_tok_is(const char *src, const tr_token *t, const char *s);

/* Line (1-based) and column (1-based, in bytes) of offset off. */
void tr_line_col(const char *src, size_t off, int *line, int *col);

#endif
