// DenseCellTUI: view state, pure rendering into a screen grid, and the ncurses backend.
import DenseCellCore
