#!/usr/bin/python3
"""scripts/eval-detect's scoring on hand-made truth and findings: what counts for recall, what a
false positive is, and an event a window boundary cut under its threshold (UNDER).

Usage: eval_detect_test.py SCRIPT [unittest arguments]
"""
import contextlib
import importlib.machinery
import importlib.util
import io
import os
import sys
import tempfile
import unittest

SCRIPT = sys.argv.pop(1)
loader = importlib.machinery.SourceFileLoader("eval_detect", SCRIPT)
spec = importlib.util.spec_from_loader("eval_detect", loader)
ev = importlib.util.module_from_spec(spec)
loader.exec_module(ev)


def event(peak, side=None, value=30, src="10.0.0.9", dst="10.0.0.5"):
    return {"type": "brute_force", "variant": "ssh", "src": src, "dst": dst, "dst_port": 22,
            "start": 1000, "end": 1500, "peak": peak, "side": side,
            "threshold": {"metric": "attempts", "value": value, "window_seconds": 1800},
            "interfaces": ["eni-a"]}


def finding(src="10.0.0.9", dst="10.0.0.5"):
    return {"type": "brute_force", "src": src, "dst": dst, "dst_port": 22, "window_start": 0,
            "window_end": 1800, "first_seen": 1100, "last_seen": 1400, "interfaces": ["eni-a"],
            "evidence": {}}


class Scoring(unittest.TestCase):
    def score(self, truth, findings):
        return ev.evaluate(findings, truth, set(), 60)

    def test_a_clear_event_at_its_threshold_is_expected(self):
        prec, rec, misses, false_pos, expl, under = self.score([event(30)], [])
        self.assertEqual(rec["brute_force"], [0, 1])
        self.assertEqual(len(misses), 1)
        self.assertEqual(under, [])

    def test_a_clear_event_cut_under_its_threshold_is_not_expected(self):
        prec, rec, misses, false_pos, expl, under = self.score([event(29)], [])
        self.assertEqual(rec["brute_force"], [0, 0])
        self.assertEqual(misses, [])
        self.assertEqual(len(under), 1)
        # Found anyway: a finding of a real attack, not a false positive.
        prec, rec, misses, false_pos, expl, under = self.score([event(29)], [finding()])
        self.assertEqual(prec["brute_force"], [1, 1])
        self.assertEqual(false_pos, [])

    def test_a_below_event_found_is_a_false_positive(self):
        prec, rec, misses, false_pos, expl, under = self.score([event(29, side="below")],
                                                               [finding()])
        self.assertEqual(prec["brute_force"], [0, 1])
        self.assertEqual(rec["brute_force"], [0, 0])
        self.assertEqual(under, [])

    def test_a_finding_of_another_pair_matches_nothing(self):
        prec, rec, misses, false_pos, expl, under = self.score([event(40)],
                                                               [finding(src="10.0.0.8")])
        self.assertEqual(prec["brute_force"], [0, 1])
        self.assertEqual(rec["brute_force"], [0, 1])


class Explained(unittest.TestCase):
    """Findings no truth event expects count as right only when an attack accounts for them:
    a reject spike explained by an upload (which rejects nothing), or a sweep by a brute-force
    source hours later on another port, had counted."""

    def test_a_reject_spike_needs_an_attack_that_made_rejects(self):
        spike = {"type": "reject_spike", "src": None, "dst": None, "dst_port": None,
                 "window_start": 1200, "window_end": 1500, "interfaces": ["eni-a"],
                 "evidence": {}}
        prec, _, _, false_pos, expl, _ = ev.evaluate([spike], [upload(["198.51.100.1"])],
                                                     set(), 60)
        self.assertEqual(prec["reject_spike"], [0, 1])
        self.assertEqual(len(false_pos), 1)
        prec, _, _, false_pos, expl, _ = ev.evaluate([spike], [event(40)], set(), 60)
        self.assertEqual(prec["reject_spike"], [1, 1])
        self.assertEqual(expl["reject_spike"], 1)

    def test_a_sweep_by_an_attacker_is_explained_at_the_attack_only(self):
        def sweep(start):
            return {"type": "port_sweep", "src": "10.0.0.9", "dst": None, "dst_port": 8080,
                    "window_start": start, "window_end": start + 300, "interfaces": ["eni-a"],
                    "evidence": {}}
        prec, _, _, _, expl, _ = ev.evaluate([sweep(1200)], [event(40)], set(), 60)
        self.assertEqual((prec["port_sweep"], expl["port_sweep"]), ([1, 1], 1))
        prec, _, _, false_pos, _, _ = ev.evaluate([sweep(9000)], [event(40)], set(), 60)
        self.assertEqual(prec["port_sweep"], [0, 1])
        # A background scanner explains it at any time.
        prec, _, _, _, _, _ = ev.evaluate([sweep(9000)], [event(40)], {"10.0.0.9"}, 60)
        self.assertEqual(prec["port_sweep"], [1, 1])


def upload(dsts, side=None):
    return {"type": "exfiltration", "variant": "bulk_external", "src": "10.0.1.5", "dst": None,
            "dst_port": 443, "start": 1000, "end": 1500, "peak": 3 << 30, "side": side,
            "dsts": dsts, "threshold": {"metric": "bytes_out_external", "value": 1 << 30,
                                        "window_seconds": 3600}, "interfaces": ["eni-a"]}


def exfil_finding(tops):
    return {"type": "exfiltration", "src": "10.0.1.5", "dst": None, "dst_port": 443,
            "window_start": 0, "window_end": 3600, "interfaces": ["eni-a"],
            "evidence": {"top_dsts": [{"dst": d, "bytes": 1} for d in tops]}}


class ExfiltrationMatch(unittest.TestCase):
    """An upload's finding may name a NAT gateway as src (v2 has no pkt-srcaddr): it matches by
    destination, but only on one of the event's interfaces. Any host that sent to the same
    destination elsewhere had matched too."""

    def test_a_gateway_on_the_events_interface_matches_by_destination(self):
        truth = [upload(["198.51.100.1"])]
        gateway = dict(exfil_finding([]), src="10.0.9.9", dst="198.51.100.1")
        prec, rec, _, false_pos, _, _ = ev.evaluate([gateway], truth, set(), 60)
        self.assertEqual((prec["exfiltration"], rec["exfiltration"]), ([1, 1], [1, 1]))
        elsewhere = dict(gateway, interfaces=["eni-z"])
        prec, rec, _, false_pos, _, _ = ev.evaluate([elsewhere], truth, set(), 60)
        self.assertEqual((prec["exfiltration"], rec["exfiltration"]), ([0, 1], [0, 1]))
        self.assertEqual(len(false_pos), 1)


class Evidence(unittest.TestCase):
    def test_every_destination_of_a_found_upload_is_named(self):
        truth = [upload(["198.51.100.1", "198.51.100.2"])]
        named, expected, missing = ev.named_dsts([exfil_finding(["198.51.100.2", "198.51.100.1"])],
                                                 truth, 60)
        self.assertEqual((named, expected, missing), (2, 2, []))
        named, expected, missing = ev.named_dsts([exfil_finding(["198.51.100.1"])], truth, 60)
        self.assertEqual((named, expected), (1, 2))
        self.assertEqual(missing[0][1], "198.51.100.2")

    def test_unfound_below_and_spread_uploads_are_not_counted(self):
        # Not found (recall's business), a "below" event, more destinations than top_dsts holds.
        self.assertEqual(ev.named_dsts([], [upload(["198.51.100.1"])], 60), (0, 0, []))
        below = [upload(["198.51.100.1"], side="below")]
        self.assertEqual(ev.named_dsts([exfil_finding([])], below, 60), (0, 0, []))
        spread = [upload([f"198.51.100.{i}" for i in range(6)])]
        self.assertEqual(ev.named_dsts([exfil_finding([])], spread, 60), (0, 0, []))


class Usage(unittest.TestCase):
    """A mistake in the arguments or a missing tool is exit 2 ("could not measure") with a
    message: both were a traceback and exit 1, which means "target missed"."""

    def test_seeds_and_intervals_are_whole_numbers(self):
        for args in (["--seeds", "1,x"], ["--intervals", "60,1m"]):
            with self.subTest(args=args), self.assertRaises(SystemExit) as e, \
                    contextlib.redirect_stderr(io.StringIO()) as err:
                sys.argv = ["eval-detect", "--bin", sys.executable] + args
                ev.main()
            self.assertEqual(e.exception.code, 2)
            self.assertIn("whole numbers separated by commas", err.getvalue())

    def test_no_zstd_is_named(self):
        path = os.environ["PATH"]
        with tempfile.TemporaryDirectory() as empty, self.assertRaises(SystemExit) as e, \
                contextlib.redirect_stderr(io.StringIO()) as err:
            os.environ["PATH"] = empty
            try:
                ev.read_findings(empty)
            finally:
                os.environ["PATH"] = path
        self.assertEqual(e.exception.code, 2)
        self.assertIn("cannot run zstd", err.getvalue())


if __name__ == "__main__":
    unittest.main()
