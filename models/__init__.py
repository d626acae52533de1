"""vocmine classifier: labels, training data, training, prediction, evaluation and export."""
