"""Repaints a window on the X display as fast as asked: the moving content the frame-rate runs watch."""

import sys
import time

import Xlib.X
import Xlib.display

display_name, x, y, width, height, rate = sys.argv[1], *map(int, sys.argv[2:6]), float(sys.argv[6])
display = Xlib.display.Display(display_name)
screen = display.screen()
window = screen.root.create_window(x, y, width, height, 0, screen.root_depth, background_pixel=screen.black_pixel,
                                   override_redirect=1)
window.map()
gc = window.create_gc()
frame = 0
while True:
    gc.change(foreground=(frame * 2654435761) & 0xFFFFFF)
    window.fill_rectangle(gc, 0, 0, width, height)
    display.sync()
    frame += 1
    time.sleep(1 / rate)
