"""X12 5010: the files claimflow exchanges with payers.

Out: ``render_837p`` (claims). In: ``ack_999`` (syntax acknowledgments), ``status_277ca``
(front-end claim acceptance), ``remit_835`` (remittances, as ``era`` models) with
``balance_835`` and ``remittance_map`` (to the workflow's ``Remittance``). For the payer
side (simulator, tests): ``read_837p`` and ``render_remits`` (999, 277CA, 835).
Eligibility: ``eligibility_270`` (render and read the 270), ``read_271`` (the payer's
answer as ``claims.eligibility.EligibilityResult``) and ``render_271`` (the payer side).
``validate`` checks any of them against the implementation guides with pyx12
(``x279_map`` supplies the 270/271 maps pyx12 lacks).

Everything reads through ``parse`` (delimiters from the ISA, segments with positions) and
``interchange`` (envelopes and control numbers), and fails with ``errors.X12Error``.
Importing this package loads nothing heavy: pyx12 and its maps load on first ``validate``.
"""
