// LesionsTests: tests land here.
