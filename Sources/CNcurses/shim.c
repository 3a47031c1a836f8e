#include <signal.h>
#include <unistd.h>
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

unsigned long dc_all_mouse_events(void) { return ALL_MOUSE_EVENTS; }
attr_t dc_attr_bold(void) { return A_BOLD; }
attr_t dc_attr_reverse(void) { return A_REVERSE; }
attr_t dc_attr_underline(void) { return A_UNDERLINE; }
int dc_get_wch(unsigned int *out) {
    wint_t w = 0;
    int r = wget_wch(stdscr, &w);
    *out = (unsigned int)w;
    return r;
}

static volatile sig_atomic_t dc_signal_flag = 0;
static void dc_on_terminate(int sig) {
    if (dc_signal_flag) {
        /* A second request while the loop is busy: restore the terminal and leave now. */
        endwin();
        _exit(128 + sig);
    }
    dc_signal_flag = sig;
}
static void dc_on_fatal(int sig) {
    endwin();
    signal(sig, SIG_DFL);
    raise(sig);
}
void dc_install_signal_handlers(void) {
    struct sigaction sa;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sa.sa_handler = dc_on_terminate;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = dc_on_fatal;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGTRAP, &sa, NULL);
    sigaction(SIGABRT, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
}
int dc_signal_received(void) { return dc_signal_flag; }
