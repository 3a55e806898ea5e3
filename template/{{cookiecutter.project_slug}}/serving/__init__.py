"""The serving room: the BentoML service that answers POST /predict.

`package` imports the latest trained checkpoint into the BentoML model store
(and builds the Bento), `service` serves it, `smoke` checks a real server end to
end.
"""
