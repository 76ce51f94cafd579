"""The study spec: frozen pydantic models (`schema`, `network`), reading YAML (`loading`), and
pydantic's errors turned into one line per problem (`messages`)."""
