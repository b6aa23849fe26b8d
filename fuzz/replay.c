/*
 * replay.c: a main() for any fuzz harness, so `./build.sh test` replays every
 * seed corpus without a fuzzer. Each input runs twice, to catch state left
 * behind by the first run. Arguments are files or folders.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("FAIL cannot open %s\n", path);
		return 0;
	}
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;
	int c;
	while ((c = fgetc(f)) != EOF) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			uint8_t *q = realloc(buf, cap);
			if (!q) {
				free(buf);
				fclose(f);
				return 0;
			}
			buf = q;
		}
		buf[n++] = (uint8_t)c;
	}
	fclose(f);
	/* A copy of exactly n bytes, so ASan sees reads past the input. */
	for (int run = 0; run < 2; run++) {
		uint8_t *exact = malloc(n ? n : 1);
		if (!exact)
			break;
		if (n)
			memcpy(exact, buf, n);
		LLVMFuzzerTestOneInput(exact, n);
		free(exact);
	}
	free(buf);
	return 1;
}

static int replay(const char *path, unsigned *count)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		printf("FAIL cannot stat %s\n", path);
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		*count += 1;
		return replay_file(path);
	}
	DIR *d = opendir(path);
	if (!d)
		return 0;
	int ok = 1;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char sub[4096];
		snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
		ok &= replay(sub, count);
	}
	closedir(d);
	return ok;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int ok = 1;
	for (int i = 1; i < argc; i++)
		ok &= replay(argv[i], &count);
	if (count == 0) {
		printf("FAIL no corpus input found\n");
		ok = 0;
	}
	/* Reaching here means no input crashed or tripped a sanitizer. */
	printf("replayed %u inputs twice each\n", count);
	printf("RESULT %u %u 0\n", ok ? count : 0, ok ? 0 : 1);
	return ok ? 0 : 1;
}
