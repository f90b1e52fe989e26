/*
 * main.c: postern, the user agent. Its own issue fills it in; until then it
 * prints its usage and exits 2.
 */
#include <stdio.h>

int
main(int argc, char *argv[])
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "usage: postern send|list|read|fetch|watch ... "
	    "(not yet implemented)\n");
	return 2;
}
