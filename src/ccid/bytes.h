/* ccidlab — little-endian field access and the (pointer, remaining) cursor
 * every wire parser in src/ccid/ uses (STYLE.md rule 4).  Header-only. */
#ifndef CCIDLAB_CCID_BYTES_H
#define CCIDLAB_CCID_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline uint16_t ccid_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t ccid_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static inline void ccid_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void ccid_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* A read cursor: the pointer and what remains move together, in one place. */
typedef struct ccid_cursor {
	const uint8_t *p;
	size_t left;
} ccid_cursor;

static inline ccid_cursor ccid_cursor_make(const uint8_t *p, size_t len)
{
	ccid_cursor c = { p, len };
	return c;
}

/* Takes n bytes: returns their start, or NULL (cursor untouched) if fewer remain. */
static inline const uint8_t *ccid_cursor_take(ccid_cursor *c, size_t n)
{
	if (n > c->left)
		return NULL;
	const uint8_t *start = c->p;
	c->p += n;
	c->left -= n;
	return start;
}

static inline bool ccid_cursor_u8(ccid_cursor *c, uint8_t *out)
{
	const uint8_t *b = ccid_cursor_take(c, 1);
	if (b == NULL)
		return false;
	*out = b[0];
	return true;
}

#endif
