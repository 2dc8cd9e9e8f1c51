from pathlib import Path

from screen import decode, distinct_colours, looks_like_xfce_desktop


def test_screenshot_is_a_png_of_the_configured_size_showing_xfce(pod, client):
    image = decode(client.screenshot_png())
    assert image.size == pod.config.size
    assert distinct_colours(image) > 500, "blank or nearly blank frame"
    assert looks_like_xfce_desktop(image)


def test_get_screen_size_reports_the_configured_resolution(pod, client):
    size = client.call("get_screen_size").structuredContent
    size = size.get("result", size)  # FastMCP wraps a Dict return type under "result"
    assert (size["width"], size["height"]) == pod.config.size


def screenshot_files_under_tmp() -> set[Path]:
    return set(Path("/tmp").glob("screenshot_*.png")) | set(Path("/tmp").glob("*/screenshot_*.png"))


def test_screenshots_leave_no_png_files_in_tmp(pod, client):
    before = screenshot_files_under_tmp()
    for _ in range(3):
        client.screenshot_png()
    assert screenshot_files_under_tmp() - before == set()
    assert list(pod.config.scratch_dir.iterdir()) == []
