/*
 * e2e_san.h — leak checking off for the e2e programs under
 * AddressSanitizer: channels, timers and contexts belong to the collector
 * (goc.h: "Channels are never freed by the program") and a program has no
 * way to free them, so LeakSanitizer would list every one at exit.
 */
#ifndef E2E_SAN_H
#define E2E_SAN_H

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}

#endif
