/* ccidlab — a stand-in for libFuzzer's main when fuzzing is not enabled.
 *
 * It gives each file named on the command line to the target once, as an
 * exact-size heap copy so that ASan catches any over-read, the way
 * libFuzzer replays files.  Directories are walked one level deep.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		return 1;
	}
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || st.st_size > (16 << 20)) {
		fprintf(stderr, "%s: unreadable or over 16 MiB\n", path);
		fclose(f);
		return 1;
	}
	size_t n = (size_t)st.st_size;
	uint8_t *buf = malloc(n ? n : 1);
	if (buf == NULL || fread(buf, 1, n, f) != n) {
		fprintf(stderr, "%s: read failed\n", path);
		free(buf);
		fclose(f);
		return 1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

static int run_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	DIR *d = opendir(path);
	if (d == NULL) {
		perror(path);
		return 1;
	}
	int bad = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char sub[4096];
		snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
		bad |= run_file(sub);
	}
	closedir(d);
	return bad;
}

int main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	int bad = 0;
	for (int i = 1; i < argc; i++)
		if (argv[i][0] != '-')
			bad |= run_path(argv[i]);
	return bad;
}
