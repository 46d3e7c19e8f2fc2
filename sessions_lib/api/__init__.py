"""The documented objects: ``Session``, ``Device``, ``Dataset``, ``File``, each call one transaction."""
