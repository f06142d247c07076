"""`envleak check --json` against its declared JSON Schema (check.schema.json), with a small
validator of the keywords the schema uses, so that it runs on every Python envleak claims.
(tests/unit/test_envleak.py validates the same outputs with the jsonschema package.)"""

import json
import os
import re
import unittest

from envleak import check as checking

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(checking.__file__)), "check.schema.json")
try:
    TEXT = (str, unicode)  # noqa: F821 - Python 2.7
except NameError:
    TEXT = (str,)
TYPES = {"object": dict, "array": list, "string": TEXT, "boolean": bool, "null": type(None)}


def errors(value, schema, root, where="$"):
    """What in `value` the schema refuses (draft 2020-12's keywords this schema uses)."""
    found = []
    if "$ref" in schema:
        target = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return errors(value, target, root, where)
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        ok = any((isinstance(value, int) and not isinstance(value, bool)) if k == "integer"
                 else isinstance(value, TYPES[k]) and not (k == "integer") for k in kinds)  # fmt: skip
        if not ok:
            return ["%s: %r is not %s" % (where, value, kinds)]
    if "const" in schema and value != schema["const"]:
        found.append("%s: %r is not %r" % (where, value, schema["const"]))
    if "enum" in schema and value not in schema["enum"]:
        found.append("%s: %r not in %r" % (where, value, schema["enum"]))
    if "pattern" in schema and isinstance(value, TEXT) and not re.search(schema["pattern"], value):
        found.append("%s: %r does not match %s" % (where, value, schema["pattern"]))
    if "minimum" in schema and isinstance(value, int) and value < schema["minimum"]:
        found.append("%s: %r below %r" % (where, value, schema["minimum"]))
    if "oneOf" in schema:
        if sum(1 for option in schema["oneOf"] if not errors(value, option, root, where)) != 1:
            found.append("%s: not exactly one of oneOf" % where)
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                found.append("%s: %s missing" % (where, key))
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                found.extend(errors(item, properties[key], root, "%s.%s" % (where, key)))
            elif extra is False:
                found.append("%s: %s not allowed" % (where, key))
            elif isinstance(extra, dict):
                found.extend(errors(item, extra, root, "%s.%s" % (where, key)))
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
            found.append("%s: %d items" % (where, len(value)))
        prefix = schema.get("prefixItems", [])
        for index, item in enumerate(value):
            if index < len(prefix):
                found.extend(errors(item, prefix[index], root, "%s[%d]" % (where, index)))
            elif "items" in schema:
                found.extend(errors(item, schema["items"], root, "%s[%d]" % (where, index)))
    return found


class Schema(unittest.TestCase):
    def setUp(self):
        with open(SCHEMA_PATH) as source:
            self.schema = json.load(source)

    def outputs(self):
        yield checking.check(
            [os.path.join(FIXTURES, "debian", "etc", "apache2")], root=os.path.join(FIXTURES, "debian")
        )
        yield checking.check([os.path.join(FIXTURES, "debian", "etc", "apache2", "apache2.conf")])
        yield checking.check([os.path.join(FIXTURES, "redhat", "etc", "httpd")], root=os.path.join(FIXTURES, "redhat"))
        yield checking.check([os.path.join(FIXTURES, "uwsgi-debian", "etc", "uwsgi")],
                             root=os.path.join(FIXTURES, "uwsgi-debian"), python="2.7")  # fmt: skip
        yield checking.check([os.path.join(FIXTURES, "installer", "etc", "apache2")],
                             root=os.path.join(FIXTURES, "installer"), select=("EL2",), ignore=("EL21",))  # fmt: skip

    def test_real_output_validates(self):
        for result in self.outputs():
            # Through JSON, as the command line prints it.
            document = json.loads(json.dumps(result))
            self.assertEqual(errors(document, self.schema, self.schema), [], result["verdict"])

    def test_the_validator_refuses_what_the_schema_refuses(self):
        document = json.loads(json.dumps(next(self.outputs())))
        document["findings"][0]["code"] = "X1"
        del document["verdict"]
        document["surprise"] = 1
        found = errors(document, self.schema, self.schema)
        self.assertEqual(len(found), 3, found)

    def test_every_code_is_in_the_schema_pattern(self):
        from envleak import codes

        pattern = self.schema["$defs"]["finding"]["properties"]["code"]["pattern"]
        for code in codes.CODES:
            self.assertTrue(re.match(pattern, code), code)


if __name__ == "__main__":
    unittest.main()
