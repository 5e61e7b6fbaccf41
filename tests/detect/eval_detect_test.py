#!/usr/bin/python3
"""scripts/eval-detect's scoring on hand-made truth and findings: what counts for recall, what a
false positive is, and an event a window boundary cut under its threshold (UNDER).

Usage: eval_detect_test.py SCRIPT [unittest arguments]
"""
import importlib.machinery
import importlib.util
import sys
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


if __name__ == "__main__":
    unittest.main()
