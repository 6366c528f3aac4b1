# Fixtures for the schema test (scripts/api-schema-test): reads the node that
# `safebox demo` left, issues an auditor's and an agency's token with the
# admin's, and prints the identifiers each principal owns as KEY=VALUE lines,
# so that schemathesis reaches the owned routes with real resources and not
# only the 404 of a random identifier.
#
# Usage: fixtures.py BASE_URL ADMIN_TOKEN APPLICANT_TOKEN

import json
import sys
import urllib.request


def call(base, method, path, token=None, body=None):
    request = urllib.request.Request(base + path, method=method)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, data=data, timeout=30) as response:
        return json.loads(response.read())


def main():
    base, admin, applicant = sys.argv[1:4]
    box = call(base, "GET", "/v1/me", applicant)["box"]
    documents = call(base, "GET", f"/v1/boxes/{box}/documents", applicant)
    # The first application the demo opened, with its agency, matter and grant.
    size = next(c["size"] for c in call(base, "GET", "/v1/node")["chains"] if c["chain"] == "service")
    opened = None
    for index in range(size):
        entry = call(base, "GET", f"/v1/chains/service/entries/{index}")
        if entry["kind"] == "application.opened":
            opened = entry["body"]
            break
    if opened is None:
        sys.exit("fixtures: the demo opened no application")
    agency = opened["agency"]
    licenses = call(base, "GET", f"/v1/boxes/{box}/licenses", applicant)
    # A credential's id is urn:gbt36904:<identifier>; the identifier's seventh
    # dot-separated part is the issuing agency's code.
    ids = [c["id"].removeprefix("urn:gbt36904:") for c in licenses]
    license_id = next(i for i in ids if i.split(".")[6] == agency)
    auditor = call(base, "POST", "/v1/tokens", admin, {"principal": {"kind": "auditor"}, "label": "schema test"})
    agency_token = call(
        base, "POST", "/v1/tokens", admin, {"principal": {"kind": "agency", "agency": agency}, "label": "schema test"}
    )
    values = {
        "SBX_BOX": box,
        "SBX_DOCUMENT": documents[0]["document"],
        "SBX_VERSION": str(documents[0]["version"]),
        "SBX_GRANT": opened["grant"],
        "SBX_APPLICATION": opened["application"],
        "SBX_MATTER": opened["matter"],
        "SBX_AGENCY": agency,
        "SBX_LICENSE": license_id,
        "SBX_AUDITOR_TOKEN": auditor["token"],
        "SBX_AGENCY_TOKEN": agency_token["token"],
    }
    for key, value in values.items():
        print(f"{key}={value}")


if __name__ == "__main__":
    main()
