"""Sync with feed servers over the Google Reader and Fever APIs. No Textual.

`accounts` (definitions and passwords), `http` (bounded requests), `greader` and `fever`
(the two protocols), `state` (cursors, item ids, the push queue in the cache) and
`engine` (one sync: push, then pull).
"""
