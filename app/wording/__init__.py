"""The words people read: each marker's summary and the reasons of the contact check,
rendered per language from the codes and values the rules return. `catalogue` is the
interface; each language is one module (`en`) with the same names."""
