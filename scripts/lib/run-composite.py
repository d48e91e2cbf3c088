#!/usr/bin/env python3
"""Run a composite action's steps on this machine the way the Actions runner does, for tests.

  run-composite.py ACTION_YML [--input NAME=VALUE ...] [--summary FILE]

Covers what action.yml uses and no more: `inputs` (defaults, which may use `github.token` /
`github.repository`), `env:` and `if:` expressions over inputs, steps.<id>.outputs/outcome,
github.action_path / action_repository (empty, as inside composite actions), runner.temp,
`always()`, `success()`, `failure()` (an `if:` without one means `success() && ...`), `==`, `!=`, `&&`, `||`, `!`; `shell: bash` steps run as
`bash --noprofile --norc -e -o pipefail FILE` with fresh GITHUB_OUTPUT files, GITHUB_ENV and
GITHUB_PATH carried to later steps. The runner's own variables (RUNNER_*, GITHUB_*) come from
this process's environment; github.token is GITHUB_TOKEN. Prints one line per step
(`step: NAME: success|failure|skipped`) and the action's outputs (`output: NAME=VALUE`), and
writes them as JSON to --summary. Exit 1 when a step failed, 2 for something it cannot run.
Needs PyYAML.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>&&|\|\||==|!=|!|\(|\))|(?P<name>[A-Za-z_][A-Za-z0-9_.-]*))"
)


def evaluate(expr, lookup, status):
    """A GitHub expression limited to the grammar above, as a Python expression."""
    out, pos, expr = [], 0, expr.strip()
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m:
            raise SystemExit(f"run-composite: cannot evaluate {expr!r}")
        pos = m.end()
        if m.group("str") is not None:
            out.append(repr(m.group("str")[1:-1].replace("''", "'")))
        elif m.group("op"):
            out.append({"&&": " and ", "||": " or ", "!": " not "}.get(m.group("op"), m.group("op")))
        else:
            name = m.group("name")
            if name in ("always", "success", "failure") and expr[pos:].lstrip().startswith("("):
                rest = expr[pos:].lstrip()
                pos = len(expr) - len(rest) + 2  # skip "()"
                out.append(repr({"always": True, "success": status == "success", "failure": status != "success"}[name]))
            elif name in ("true", "false"):
                out.append(repr(name == "true"))
            else:
                out.append(repr(lookup(name)))
    return eval("".join(out), {"__builtins__": {}})  # noqa: S307 (built from the tokens above only)


def substitute(text, lookup, status):
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: str(evaluate(m.group(1), lookup, status)), str(text))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("action")
    p.add_argument("--input", action="append", default=[])
    p.add_argument("--summary")
    a = p.parse_args()
    action_path = os.path.dirname(os.path.abspath(a.action))
    with open(a.action, encoding="utf-8") as f:
        action = yaml.safe_load(f)
    env = dict(os.environ)
    github = {
        "token": env.get("GITHUB_TOKEN", ""),
        "repository": env.get("GITHUB_REPOSITORY", ""),
        "action_path": action_path,
        "action_repository": "",
    }
    steps, inputs = {}, {}

    def lookup(name):
        parts = name.split(".")
        if parts[0] == "inputs":
            return inputs.get(parts[1], "")
        if parts[0] == "github":
            return github.get(parts[1], "")
        if parts[0] == "runner" and parts[1] == "temp":
            return env["RUNNER_TEMP"]
        if parts[0] == "steps":
            step = steps.get(parts[1], {})
            return step.get(parts[2], "") if parts[2] == "outcome" else step.get("outputs", {}).get(parts[3], "")
        raise SystemExit(f"run-composite: unknown name {name}")

    given = dict(kv.split("=", 1) for kv in a.input)
    for name, spec in (action.get("inputs") or {}).items():
        value = given.pop(name, spec.get("default", ""))
        inputs[name] = substitute(value, lookup, "success")
    if given:
        raise SystemExit(f"run-composite: unknown inputs {sorted(given)}")

    work = tempfile.mkdtemp(prefix="run-composite.", dir=env.get("RUNNER_TEMP"))
    github_env = os.path.join(work, "env")
    github_path = os.path.join(work, "path")
    open(github_env, "w").close()
    open(github_path, "w").close()
    status, report = "success", []
    for i, step in enumerate(action["runs"]["steps"]):
        name = step.get("name", f"step {i}")
        cond = str(step.get("if", "success()"))
        if not re.search(r"\b(always|success|failure|cancelled)\(", cond):
            cond = f"success() && ({cond})"  # the runner's implicit status check
        if not evaluate(cond, lookup, status):
            report.append({"step": name, "outcome": "skipped"})
            if "id" in step:
                steps[step["id"]] = {"outcome": "skipped", "outputs": {}}
            print(f"step: {name}: skipped", flush=True)
            continue
        if step.get("shell") != "bash" or "run" not in step:
            raise SystemExit(f"run-composite: step {name!r} is not a bash run step")
        step_env = dict(env)
        step_env["GITHUB_ACTION_PATH"] = action_path
        output = os.path.join(work, f"output-{i}")
        open(output, "w").close()
        step_env.update(GITHUB_OUTPUT=output, GITHUB_ENV=github_env, GITHUB_PATH=github_path)
        for k, v in (step.get("env") or {}).items():
            step_env[k] = substitute(v, lookup, status)
        script = os.path.join(work, f"step-{i}.sh")
        with open(script, "w", encoding="utf-8") as f:
            f.write(substitute(step["run"], lookup, status))
        rc = subprocess.call(["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", script], env=step_env)
        outcome = "success" if rc == 0 else "failure"
        outputs = {}
        with open(output, encoding="utf-8") as f:
            for line in f.read().splitlines():
                if "=" in line:
                    k, v = line.split("=", 1)
                    outputs[k] = v
        if "id" in step:
            steps[step["id"]] = {"outcome": outcome, "outputs": outputs}
        with open(github_env, encoding="utf-8") as f:
            for line in f.read().splitlines():
                if "=" in line:
                    k, v = line.split("=", 1)
                    env[k] = v
        with open(github_path, encoding="utf-8") as f:
            added = [line for line in f.read().splitlines() if line]
        env["PATH"] = os.pathsep.join(list(reversed(added)) + [os.environ["PATH"]])
        if rc != 0:
            status = "failure"
        report.append({"step": name, "outcome": outcome, "exit": rc})
        print(f"step: {name}: {outcome}", flush=True)
    outs = {k: substitute(v.get("value", ""), lookup, status) for k, v in (action.get("outputs") or {}).items()}
    for k, v in outs.items():
        print(f"output: {k}={v}")
    if a.summary:
        with open(a.summary, "w", encoding="utf-8") as f:
            json.dump({"steps": report, "outputs": outs, "status": status, "env": {
                k: env[k] for k in env if k.startswith("CODEX_")}}, f, indent=1)
    return 0 if status == "success" else 1


if __name__ == "__main__":
    sys.exit(main())
