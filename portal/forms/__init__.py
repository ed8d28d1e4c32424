"""The WTForms forms of every area (shape checks only: required, length, format; the rules live in the domain).
``common`` holds the base form, the shared validators and the forms of accounts, courts and confirmations."""
