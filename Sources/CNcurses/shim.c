#include "cncurses.h"

WINDOW *dc_stdscr(void) { return stdscr; }
int dc_lines(void) { return LINES; }
int dc_cols(void) { return COLS; }
int dc_colors(void) { return COLORS; }
int dc_color_pairs(void) { return COLOR_PAIRS; }
int dc_put_cell(int y, int x, wchar_t ch, int pair, attr_t attrs) {
    cchar_t c;
    wchar_t s[2] = { ch, 0 };
    setcchar(&c, s, attrs, 0, &pair);
    return mvadd_wch(y, x, &c);
}
int dc_key_resize(void) { return KEY_RESIZE; }
int dc_key_mouse(void) { return KEY_MOUSE; }
int dc_get_mouse(int *x, int *y, unsigned long *bstate) {
    MEVENT ev;
    if (getmouse(&ev) != OK) return ERR;
    *x = ev.x; *y = ev.y; *bstate = (unsigned long)ev.bstate;
    return OK;
}
unsigned long dc_button4_pressed(void) { return BUTTON4_PRESSED; }
#ifdef BUTTON5_PRESSED
unsigned long dc_button5_pressed(void) { return BUTTON5_PRESSED; }
#else
unsigned long dc_button5_pressed(void) { return 0; }
#endif
unsigned long dc_button1_clicked(void) { return BUTTON1_CLICKED; }
unsigned long dc_button1_pressed(void) { return BUTTON1_PRESSED; }
int dc_ncurses_version_major(void) { return NCURSES_VERSION_MAJOR; }
