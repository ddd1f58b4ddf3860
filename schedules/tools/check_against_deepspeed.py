#!/usr/bin/env python3
"""Cross-check `ds4j lr` against DeepSpeed's own lr_schedules.py, step by step.

Runs DeepSpeed's schedule classes (loaded from a DeepSpeed checkout or bare mirror, with tiny stand-ins for
torch.optim.Optimizer, torch.is_tensor and deepspeed.utils.logger, so neither torch nor DeepSpeed needs installing)
on a fake one-group optimizer, records the lr and beta1 it writes before the first step and after each of
N + 1 scheduler steps, and compares them with `bin/ds4j lr --steps -1..N` for a list of configs (defaults and edge
cases of all five schedules). Prints the largest relative difference per config.

usage: python3 schedules/tools/check_against_deepspeed.py DEEPSPEED_GIT_DIR
       (a DeepSpeed clone or bare mirror; the file is read with `git show HEAD:...`)
Not part of `mvn verify`: it needs python3, git and a DeepSpeed source tree.
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if len(sys.argv) != 2:
    sys.exit('usage: check_against_deepspeed.py DEEPSPEED_GIT_DIR (a DeepSpeed clone or bare mirror)')
GIT_DIR = sys.argv[1]
STUBS = tempfile.mkdtemp(prefix='ds4j-lr-check-')


def write(rel, text):
    path = os.path.join(STUBS, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


write('lr_schedules.py', subprocess.run(['git', '-C', GIT_DIR, 'show', 'HEAD:deepspeed/runtime/lr_schedules.py'],
                                        check=True, capture_output=True, text=True).stdout)
write('torch/__init__.py', 'def is_tensor(x):\n    return False\n')
write('torch/optim/__init__.py', 'class Optimizer(object):\n    pass\n')
write('deepspeed/__init__.py', '')
write('deepspeed/utils.py', 'import logging\nlogger = logging.getLogger("ds")\nlogger.setLevel(logging.ERROR)\n')
sys.path.insert(0, STUBS)
import lr_schedules as L  # noqa: E402
from torch.optim import Optimizer  # noqa: E402

class FakeOpt(Optimizer):
    def __init__(self, lr):
        self.param_groups = [{'lr': lr, 'betas': (0.9, 0.999)}]
        self.defaults = {'lr': lr, 'betas': (0.9, 0.999)}

N = 20000
def reference(typ, params, opt_lr):
    opt = FakeOpt(opt_lr)
    s = getattr(L, typ)(opt, **params)
    rows = [(-1, opt.param_groups[0]['lr'], opt.param_groups[0]['betas'][0])]
    for i in range(N + 1):
        s.step()
        rows.append((i, opt.param_groups[0]['lr'], opt.param_groups[0]['betas'][0]))
    return rows

cases = [
  ("WarmupLR", {}, 0.01),
  ("WarmupLR", {"warmup_min_lr": 0.001, "warmup_max_lr": 0.1, "warmup_num_steps": 10, "warmup_type": "linear"}, 1.0),
  ("WarmupLR", {"warmup_num_steps": 1}, 0.3),
  ("WarmupLR", {"warmup_num_steps": 2, "warmup_type": "linear"}, 0.3),
  ("WarmupDecayLR", {"total_num_steps": 5000}, 0.5),
  ("WarmupDecayLR", {"total_num_steps": 1000, "warmup_min_lr": 0.001, "warmup_max_lr": None, "warmup_num_steps": 100, "warmup_type": "linear"}, 0.01),
  ("WarmupDecayLR", {"total_num_steps": 50, "warmup_num_steps": 100}, 0.5),
  ("WarmupDecayLR", {"total_num_steps": 10, "warmup_num_steps": 1, "warmup_type": "linear"}, 0.5),
  ("WarmupCosineLR", {"total_num_steps": 2000}, 0.02),
  ("WarmupCosineLR", {"total_num_steps": 1000, "warmup_min_ratio": 0.1, "warmup_num_steps": 100, "cos_min_ratio": 0.01, "warmup_type": "linear"}, 0.1),
  ("WarmupCosineLR", {"total_num_steps": 50, "warmup_num_steps": 100}, 0.1),
  ("WarmupCosineLR", {"total_num_steps": 12, "warmup_num_steps": 1, "cos_min_ratio": -0.5}, 2.0),
  ("LRRangeTest", {}, 0.5),
  ("LRRangeTest", {"lr_range_test_min_lr": 0.01, "lr_range_test_step_size": 10, "lr_range_test_step_rate": 0.5, "lr_range_test_staircase": True}, 0.5),
  ("OneCycle", {"cycle_min_lr": 0.001, "cycle_max_lr": 0.01}, 0.1),
  ("OneCycle", {"cycle_min_lr": 0.01, "cycle_max_lr": 0.1, "cycle_first_step_size": 10, "decay_step_size": 5, "decay_lr_rate": 0.5, "decay_mom_rate": 0.001}, 0.1),
  ("OneCycle", {"cycle_min_lr": 1.0, "cycle_max_lr": 2.0, "cycle_first_step_size": 4, "cycle_second_step_size": 6}, 0.1),
  ("OneCycle", {"cycle_min_lr": 0.01, "cycle_max_lr": 0.1, "cycle_first_step_size": 10, "cycle_first_stair_count": 4}, 0.1),
  ("OneCycle", {"cycle_min_lr": 0.01, "cycle_max_lr": 0.1, "cycle_first_step_size": 10, "cycle_first_stair_count": 5, "cycle_second_stair_count": 2}, 0.1),
  ("OneCycle", {"cycle_min_lr": 0.0, "cycle_max_lr": 1.0, "cycle_first_step_size": 3, "cycle_second_step_size": 7, "cycle_first_stair_count": 3}, 0.1),
  ("OneCycle", {"cycle_min_lr": 0.0001, "cycle_max_lr": 0.001, "cycle_first_step_size": 40, "cycle_second_step_size": 60, "cycle_first_stair_count": 4, "decay_step_size": 10, "decay_lr_rate": 0.1, "decay_mom_rate": 0.001}, 0.1),
  ("OneCycle", {"cycle_min_lr": 0.01, "cycle_max_lr": 0.1, "cycle_first_step_size": 10, "cycle_second_step_size": 0}, 0.1),
  ("OneCycle", {"cycle_min_lr": 0.01, "cycle_max_lr": 0.1, "cycle_first_step_size": 7.5, "cycle_second_step_size": 3, "cycle_first_stair_count": 3, "decay_step_size": 9, "decay_lr_rate": 0.2, "cycle_momentum": False}, 0.1),
]
worst = 0.0
CFG = os.path.join(STUBS, 'cfg.json')
for typ, params, opt_lr in cases:
    ref = reference(typ, params, opt_lr)
    cfg = {"train_batch_size": 8, "optimizer": {"type": "Adam", "params": {"lr": opt_lr}}, "scheduler": {"type": typ, "params": params}}
    with open(CFG, 'w') as f:
        f.write(json.dumps(cfg))
    p = subprocess.run([os.path.join(ROOT, 'bin', 'ds4j'), 'lr', '--steps', '-1..%d' % N, CFG], capture_output=True, text=True)
    if p.returncode != 0:
        print("FAIL", typ, params, p.stderr)
        worst = float("inf")
        continue
    lines = p.stdout.strip().split('\n')
    header = lines[0].split(',')
    mom = 'momentum' in header
    case_worst = 0.0
    for (i, lr, beta), line in zip(ref, lines[1:]):
        cells = line.split(',')
        assert int(cells[0]) == i
        pairs = [(lr, float(cells[1]))]
        if mom: pairs.append((beta, float(cells[2])))
        for e, a in pairs:
            if e != a:
                r = abs(e - a) / max(abs(e), abs(a))
                case_worst = max(case_worst, r)
    exact = sum(1 for (i, lr, b), line in zip(ref, lines[1:]) if float(line.split(',')[1]) == lr)
    worst = max(worst, case_worst)
    print("%-15s rows=%d mom=%s max_rel=%.3g bit-exact lr rows=%d %s" % (typ, len(lines) - 1, mom, case_worst, exact, json.dumps(params)))
print("WORST", worst)
sys.exit(0 if worst <= 1e-12 else 1)
