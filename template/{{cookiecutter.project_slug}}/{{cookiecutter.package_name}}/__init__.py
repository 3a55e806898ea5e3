"""Code every room of {{ cookiecutter.project_name }} shares.

The labels, preprocessing, image features, model definition and request/response
contract live here once, so data, training, serving and monitoring cannot drift
apart. Only `model` needs PyTorch; the rest needs NumPy and Pillow.
"""
