#ifndef CNCURSES_H
#define CNCURSES_H
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <ncursesw/ncurses.h>
#include <wchar.h>

/* ncurses exposes several essentials as macros or variadic functions. */
WINDOW *dc_stdscr(void);
int dc_lines(void);
int dc_cols(void);
int dc_colors(void);
int dc_color_pairs(void);
/* Draw one cell: a single wide character with an extended color pair and attributes. */
int dc_put_cell(int y, int x, wchar_t ch, int pair, attr_t attrs);
int dc_key_resize(void);
int dc_key_mouse(void);
int dc_get_mouse(int *x, int *y, unsigned long *bstate);
unsigned long dc_button4_pressed(void);
unsigned long dc_button5_pressed(void);
unsigned long dc_button1_clicked(void);
unsigned long dc_button1_pressed(void);
int dc_ncurses_version_major(void);
/* Masks and attributes that are macro expressions in <ncurses.h>. */
unsigned long dc_all_mouse_events(void);
attr_t dc_attr_bold(void);
attr_t dc_attr_reverse(void);
attr_t dc_attr_underline(void);
/* Reads one key or character: returns OK (character), KEY_CODE_YES (function key) or ERR. */
int dc_get_wch(unsigned int *out);
/* Termination signals (SIGINT, SIGTERM, SIGHUP) only set a flag the main loop polls, so the
   terminal is restored by ordinary code; fatal signals restore it and then die as before. */
void dc_install_signal_handlers(void);
int dc_signal_received(void);
#endif
