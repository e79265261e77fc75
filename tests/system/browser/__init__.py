"""Browser tests (a package, so that its conftest and test modules never shadow the
suite's own `conftest` or same-named test modules in tests/)."""
