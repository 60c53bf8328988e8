"""``python -m sklearn_tinynn``: train on scikit-learn's bundled digits and score."""

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sklearn_tinynn import TwoLayerNNClassifier


def main():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16, y, test_size=0.25, stratify=y, random_state=0
    )
    clf = TwoLayerNNClassifier(random_state=0).fit(X_train, y_train)
    print(f"digits: test accuracy {clf.score(X_test, y_test):.4f}")


if __name__ == "__main__":
    main()
