"""Mutation testing of the promise-carrying modules (not part of the test suite).

`python -m mutation` breaks the code on purpose, one small change at a time, and runs the
tests that cover it: a mutant no test notices is a promise without a guard. See README.md.
"""
