"""feedback: article ratings and reader feedback for news sites."""
