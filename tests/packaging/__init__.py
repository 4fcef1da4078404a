"""Packaging checks: a local stand-in for hassfest and the HACS action.

The real validators cannot run here: hassfest lives in Home Assistant's source tree (the
`homeassistant` wheel and sdist on PyPI do not ship `script/hassfest`, and no PyPI package provides
it), and the HACS action reads the repository through GitHub's API. .github/workflows/validate.yml
runs both on GitHub; these tests apply the same rules to the files in this repository, plus a few
of this project's own (brand images, translation parity). Which translation keys the code uses is
checked at run time, by tests/ha/translations_check.py, while the behaviour tests run.
"""
