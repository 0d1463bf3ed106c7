"""The camera's first look: it never turns away a frame the whole cascade reads, rejects empty ones.

Frames are synthesised: codes rendered by python-barcode and segno (a different renderer from the
camera simulator's), rotated, small, a little blurred, on plain and cluttered backgrounds, plus
the project's photo set (drivers.sim.photoset).
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from pathlib import Path

import barcode
import cv2
import numpy as np
import numpy.typing as npt
import pytest
import segno
from barcode.writer import ImageWriter

from drivers.camera.capture import CameraCapture
from drivers.camera.profile import load_camera_profile, shipped_camera_profiles
from drivers.scanner.aim import Symbology
from drivers.scanner.camera_decode import CameraDecoder, CameraScanSource, DecoderConfig
from drivers.scanner.events import ScanEvent
from drivers.scanner.first_look import LookConfig, first_look
from drivers.sim import photoset
from drivers.sim.camera import SyntheticCamera, label_image, place

Frame = npt.NDArray[np.uint8]
PROFILE = load_camera_profile(Path(shipped_camera_profiles()[0]).parent / "generic-uvc.toml")
SIZES = ((640, 480), (1280, 720), (1920, 1080))
#: (python-barcode name or "qr", text as printed, text as decoded)
CODES = (
    ("ean13", "400638133393", "4006381333931"),
    ("code128", "RMA-2026-000042", "RMA-2026-000042"),
    ("upca", "03600029145", "0036000291452"),
    ("ean8", "9638507", "96385074"),
    ("qr", "https://returns.example/r/7Q2X", "https://returns.example/r/7Q2X"),
)


def rendered(kind: str, text: str, module_px: int) -> Frame:
    """The code as a grey image with its quiet zone: python-barcode for 1D, segno for QR."""
    if kind == "qr":
        matrix = 1 - np.array(segno.make_qr(text, error="m").matrix, dtype=np.uint8)
        image = np.kron(matrix * 255, np.ones((module_px, module_px), np.uint8))
        return np.pad(image, 4 * module_px, constant_values=255).astype(np.uint8)
    # 254 dpi: 0.1 mm per pixel, so module_width 0.1 * module_px mm is module_px pixels
    code = barcode.get(kind, text, writer=ImageWriter())
    picture = code.render({"module_width": 0.1 * module_px, "module_height": 4.0 * module_px,
                           "dpi": 254, "quiet_zone": 1.0 * module_px, "write_text": False})
    return np.array(picture.convert("L"), dtype=np.uint8)


def bench_top(width: int, height: int, seed: int, gain: float = 1.0,
              noise: float = 2.5) -> Frame:
    """A bench with a plain box on it: shading, a box edge, sensor noise; nothing printed."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(70, 150, width, dtype=np.float32)[None, :, None] * np.ones((height, 1, 3))
    scene = ramp.clip(0, 255).astype(np.uint8)
    box = (int(width * rng.uniform(0.1, 0.3)), int(height * rng.uniform(0.1, 0.3)),
           int(width * rng.uniform(0.7, 0.9)), int(height * rng.uniform(0.7, 0.9)))
    cv2.rectangle(scene, box[:2], box[2:], tuple(int(c) for c in rng.integers(110, 200, 3)), -1)
    return _finish(scene, rng, gain, noise)


def cluttered(width: int, height: int, seed: int) -> Frame:
    """A busy background: rectangles, discs, a strip of tape, big printed words, shading."""
    rng = np.random.default_rng(seed)
    low = rng.uniform(60, 200, (6, 8, 3)).astype(np.float32)
    scene = cv2.resize(low, (width, height), interpolation=cv2.INTER_CUBIC).clip(0, 255)
    scene = scene.astype(np.uint8)
    for _ in range(8):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        x1 = x0 + int(rng.integers(width // 10, width // 3))
        y1 = y0 + int(rng.integers(height // 10, height // 3))
        cv2.rectangle(scene, (x0, y0), (x1, y1), tuple(int(c) for c in rng.integers(30, 230, 3)),
                      -1)
    for _ in range(4):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.circle(scene, centre, int(rng.integers(height // 20, height // 6)),
                   tuple(int(c) for c in rng.integers(30, 230, 3)), -1)
    cv2.line(scene, (0, int(height * 0.7)), (width, int(height * 0.6)), (200, 190, 170),
             max(2, height // 30))
    cv2.putText(scene, "FRAGILE", (int(width * 0.05), int(height * 0.2)),
                cv2.FONT_HERSHEY_SIMPLEX, width / 400, (20, 20, 160), max(2, width // 200))
    return _finish(scene, rng, 1.0, 2.5)


def _finish(scene: Frame, rng: np.random.Generator, gain: float, noise: float) -> Frame:
    out = cv2.GaussianBlur(scene, (0, 0), 0.8).astype(np.float32) * gain
    out += rng.normal(0, noise, out.shape).astype(np.float32)
    return out.clip(0, 255).astype(np.uint8)


def with_code(scene: Frame, code: Frame, centre: tuple[float, float], angle_deg: float,
              blur_sigma: float) -> Frame:
    """``code`` on a label placed on ``scene`` at ``centre``, rotated, optionally defocused."""
    label = label_image(code, margin_px=6)
    height, width = label.shape[:2]
    half = np.array([[-width, -height], [width, -height], [width, height], [-width, height]]) / 2
    theta = np.deg2rad(angle_deg)
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    quad = (half @ rotation.T + centre).astype(np.float32)
    frame = place(scene, label, quad)
    if blur_sigma > 0:
        frame = cv2.GaussianBlur(frame, (0, 0), blur_sigma)  # type: ignore[assignment]
    return frame


def sample_frames() -> list[tuple[str, str, Frame, tuple[float, float]]]:
    """(name, decoded text, frame, code centre) for every code x size x pose x background."""
    frames = []
    poses = (("rotated", 33.0, 3, 0.0), ("small", -70.0, 2, 0.0), ("blurred", 4.0, 3, 1.1))
    for index, (kind, printed, decoded) in enumerate(CODES):
        for width, height in SIZES:
            for pose, angle, module_px, blur in poses:
                backdrop = "clutter" if (index + len(pose)) % 2 else "bench"
                scene = cluttered(width, height, index) if backdrop == "clutter" else \
                    bench_top(width, height, index)
                centre = (width * (0.35 + 0.06 * index), height * 0.55)
                frame = with_code(scene, rendered(kind, printed, module_px), centre, angle, blur)
                frames.append((f"{kind}-{width}-{pose}-{backdrop}", decoded, frame, centre))
    return frames


def _reads(report_texts: list[str], decoded: str) -> bool:
    return any(photoset.normalised(text) == photoset.normalised(decoded) for text in report_texts)


def test_every_synthesised_frame_the_cascade_reads_has_a_candidate_and_is_read_there() -> None:
    whole = CameraDecoder(DecoderConfig(budget_ms=10_000))
    read_by_cascade = 0
    for name, decoded, frame, (cx, cy) in sample_frames():
        if not _reads([r.text for r in whole.decode(frame).results], decoded):
            continue
        read_by_cascade += 1
        look = first_look(frame)
        assert any(c.x <= cx <= c.x + c.width and c.y <= cy <= c.y + c.height
                   for c in look.candidates), (name, look.candidates)
        gated = whole.read(frame)
        assert _reads([r.text for r in gated.results], decoded), (name, gated.stages_run)
        assert gated.stages_run[0] == "first_look" and gated.candidates >= 1
    assert read_by_cascade >= 40, "the sample set got too hard to prove anything"  # of 45


def test_every_photo_the_cascade_reads_is_read_after_the_first_look() -> None:
    whole = CameraDecoder(DecoderConfig(budget_ms=10_000))
    read_by_cascade = 0
    for photo in photoset.generate(seed=7, variants=2):  # bench/bench_decode.py's photo set
        if not any(photoset.is_match(photo, r.text) for r in whole.decode(photo.image).results):
            continue
        read_by_cascade += 1
        gated = whole.read(photo.image)
        assert any(photoset.is_match(photo, r.text) for r in gated.results), photo.name
    assert read_by_cascade >= 130  # of 144 photos: glare, blur, low light, small, curved ...


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_an_empty_bench_is_turned_away_without_a_reader(width: int, height: int) -> None:
    decoder = CameraDecoder()
    for seed in range(3):
        for gain in (0.25, 1.0, 1.6):
            for noise in (0.0, 3.0):
                frame = bench_top(width, height, seed, gain, noise)
                assert first_look(frame).empty, (seed, gain, noise)
                report = decoder.read(frame)
                assert (report.stages_run, report.skipped) == (["first_look"], "no candidate")
                assert report.results == []


def test_a_cluttered_empty_scene_sends_only_small_regions_to_the_readers() -> None:
    for width, height in SIZES:
        for seed in range(4):
            look = first_look(cluttered(width, height, seed))
            area = sum(c.width * c.height for c in look.candidates)
            assert area < width * height / 3, (width, seed, look.candidates)


@pytest.mark.parametrize(("kind", "printed", "decoded"), [CODES[3], CODES[4]], ids=["ean8", "qr"])
def test_a_code_held_close_to_the_lens_is_found_at_the_coarse_scale(
        kind: str, printed: str, decoded: str) -> None:
    frame = with_code(bench_top(1280, 720, 2), rendered(kind, printed, 9), (640, 360), 5.0, 0.0)
    report = CameraDecoder().read(frame)  # bars 9 px wide: a fine cell inside one bar is flat
    assert [r.text for r in report.results] == [decoded]


def test_a_grey_frame_and_a_bgra_frame_are_looked_at_like_the_bgr_frame() -> None:
    frame = with_code(bench_top(640, 480, 1), rendered("ean13", "400638133393", 3), (320, 240),
                      0.0, 0.0)
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    bgra = cv2.cvtColor(frame, cv2.COLOR_BGR2BGRA)
    for image in (frame, grey, bgra):
        report = CameraDecoder().read(image)  # type: ignore[arg-type]
        assert [r.text for r in report.results] == ["4006381333931"]
    assert first_look(np.zeros((4, 4), np.uint8)).empty  # smaller than one cell: nothing
    with pytest.raises(ValueError, match="analysis_width_px"):
        LookConfig(analysis_width_px=10)


def test_an_unchanged_scene_is_skipped_until_it_changes_or_the_retry_is_due() -> None:
    camera = SyntheticCamera(1280, 720, paced=False, seed=3)
    camera.noise_std = 2.0  # every frame differs a little, as from a real sensor
    decoder = CameraDecoder(DecoderConfig(unchanged_retry_frames=4))
    assert decoder.hands_free(camera.frame()).skipped != "unchanged"  # nothing to compare with
    camera.frames_served += 1
    skipped = []
    for _ in range(5):
        camera.frames_served += 1  # the next noise pattern
        skipped.append(decoder.hands_free(camera.frame()).skipped)
    assert skipped[:4] == ["unchanged"] * 4 and skipped[4] != "unchanged"  # 5th: read again
    camera.present("RMA-2026-000042", Symbology.CODE128, module_px=3)
    held = decoder.hands_free(camera.frame())
    assert [r.text for r in held.results] == ["RMA-2026-000042"]
    # a code in view is read on every frame (its hold is renewed), never skipped as unchanged
    assert [decoder.hands_free(camera.frame()).skipped for _ in range(3)] == ["", "", ""]


def test_a_hand_moving_beside_the_print_reads_nothing_again_but_a_code_in_it_is_read() -> None:
    scene = SyntheticCamera(1280, 720, paced=False, seed=3).frame()  # the box with its print
    decoder = CameraDecoder()
    first = decoder.hands_free(scene)
    assert first.candidates >= 1 and first.results == []  # the print is looked at once
    hand = scene.copy()
    cv2.circle(hand, (1000, 560), 90, (120, 140, 190), -1)  # no edges pattern: no candidate
    again = decoder.hands_free(hand)
    assert (again.stages_run, again.skipped) == (["first_look"], "unchanged")
    held = with_code(hand, rendered("code128", "RMA-2026-000042", 3), (900, 560), 10.0, 0.0)
    assert [r.text for r in decoder.hands_free(held).results] == ["RMA-2026-000042"]


def test_hands_free_reads_keep_the_scanners_plausibility_checks() -> None:
    camera = SyntheticCamera(640, 480, paced=False)
    camera.present("A12", Symbology.CODE128, module_px=4)  # 3 characters: shorter than 4
    frame = camera.frame()
    decoder = CameraDecoder()
    assert [r.text for r in decoder.read(frame).results] == ["A12"]  # the readers see it
    assert decoder.scan(frame) == []  # but it is no scan, as from a hardware scanner


def test_the_scan_thread_skips_idle_frames_and_still_reads_a_code_held_up_at_once(
    wait_for: Callable[..., bool],
) -> None:
    sim = SyntheticCamera(1280, 720, fps=30)
    sim.noise_std = 2.0
    scans: queue.Queue[ScanEvent] = queue.Queue()
    with CameraCapture(PROFILE, sim) as capture:
        source = CameraScanSource(capture, scans.put, DecoderConfig(hold_s=30.0)).start()
        try:
            assert wait_for(lambda: source.stats.frames_unchanged >= 10, timeout_s=10)
            sim.present("RMA-2026-000042", Symbology.CODE128, module_px=3)
            event = scans.get(timeout=10)
        finally:
            source.close()
    assert (event.text, event.source) == ("RMA-2026-000042", "camera")
    assert source.stats.decode_errors == 0
