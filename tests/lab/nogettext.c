/* ccidlab — test harness only: gettext as the identity, preloaded into
 * pcscd beside AddressSanitizer's runtime by sanitizer builds.
 *
 * Why: with libasan preloaded into Debian's (uninstrumented) pcscd, glibc's
 * gettext lock (_nl_state_lock) is found with a reader count of -1 before
 * pcscd's main() runs, so the first bindtextdomain() (GLib calls it the
 * first time it builds any error message) waits forever.  Measured with
 * gdb on pcscd 1.9.9 / gcc 12 libasan: readers 0xFFFFFFF9 at
 * __libc_start_main with the preload, 1 without it.  The tests run in the
 * C locale, where these functions return their msgid anyway.
 */
#include <stddef.h>

char *gettext(const char *msgid);
char *dgettext(const char *domain, const char *msgid);
char *dcgettext(const char *domain, const char *msgid, int category);
char *ngettext(const char *msgid, const char *plural, unsigned long n);
char *dngettext(const char *domain, const char *msgid, const char *plural, unsigned long n);
char *dcngettext(const char *domain, const char *msgid, const char *plural, unsigned long n,
		 int category);
char *bindtextdomain(const char *domain, const char *dir);
char *bind_textdomain_codeset(const char *domain, const char *codeset);
char *textdomain(const char *domain);

char *gettext(const char *msgid)
{
	return (char *)msgid;
}

char *dgettext(const char *domain, const char *msgid)
{
	return (char *)msgid;
}

char *dcgettext(const char *domain, const char *msgid, int category)
{
	return (char *)msgid;
}

char *ngettext(const char *msgid, const char *plural, unsigned long n)
{
	return (char *)(n == 1 ? msgid : plural);
}

char *dngettext(const char *domain, const char *msgid, const char *plural, unsigned long n)
{
	return (char *)(n == 1 ? msgid : plural);
}

char *dcngettext(const char *domain, const char *msgid, const char *plural, unsigned long n,
		 int category)
{
	return (char *)(n == 1 ? msgid : plural);
}

char *bindtextdomain(const char *domain, const char *dir)
{
	return (char *)(dir != NULL ? dir : "/usr/share/locale");
}

char *bind_textdomain_codeset(const char *domain, const char *codeset)
{
	return (char *)codeset;
}

char *textdomain(const char *domain)
{
	return (char *)(domain != NULL ? domain : "messages");
}
