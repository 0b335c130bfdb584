/*
 * hexval.h: the value of one hex digit, shared by the JSON reader, the
 * decoder of stored lines and the tail state file's escapes.
 */
#ifndef HEXVAL_H
#define HEXVAL_H

/* 0-15, or -1 if c is not a hex digit. */
static inline int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
