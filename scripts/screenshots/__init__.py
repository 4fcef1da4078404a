"""The README's screenshots, taken from the demo by walks that check what they show."""
