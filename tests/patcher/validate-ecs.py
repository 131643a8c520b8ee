#!/usr/bin/env python3
"""Checks ECS task-definition JSON files against botocore's RegisterTaskDefinition input model, the same
client-side parameter validation `aws ecs register-task-definition --cli-input-json` runs first.
Usage: validate-ecs.py FILE[=ORIGINAL]...
With =ORIGINAL only problems the original (unpatched) file does not have count: kilt must not add problems
and does not fix the user's. Exit 0 all valid, 1 some invalid (printed), 2 usage."""
import json
import sys

import botocore.session
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters


def main(files):
    if not files:
        print(__doc__, file=sys.stderr)
        return 2
    shape = botocore.session.get_session().get_service_model("ecs").operation_model("RegisterTaskDefinition").input_shape
    bad = 0
    for arg in files:
        f, _, original = arg.partition("=")
        known = problems(original, shape) if original else set()
        for p in sorted(problems(f, shape) - known):
            print(f"{f}: {p}")
            bad += 1
    return 1 if bad else 0


def problems(path, shape):
    with open(path) as fh:
        params = json.load(fh)
    try:
        validate_parameters(params, shape)
    except ParamValidationError as e:
        return {line.strip() for line in str(e).splitlines()[1:] if line.strip()}
    return set()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
